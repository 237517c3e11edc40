/**
 * `ManagedFile`: a configuration file on a host as a Pulumi resource that can read itself back. `@pulumi/command`
 * cannot see what is on a host after it ran, so a file edited by hand would never show; this dynamic
 * resource's `read` fetches the real content, mode and owner over SSH (host key pinned), so
 * `pulumi preview --refresh` and `pulumi refresh` show hand edits as differences, and the next `up` puts the
 * file back. `create`/`update` write atomically (temporary file + rename).
 *
 * The provider's logic lives in `remoteFile.ts`; the provider functions `require()` it by absolute path
 * because Pulumi serializes these closures into the state, and a captured module object cannot be.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { FileEncoding } from "./remoteFile";
import type { SshTarget } from "./ssh";

/** The resource type (`pulumi-nodejs:dynamic/host:ManagedFile`): the lab runner and `drift` recognise it. */
export const MANAGED_FILE_TYPE = "pulumi-nodejs:dynamic/host:ManagedFile";

// Absolute paths without extension: require() in the provider finds the compiled or the TypeScript module.
const REMOTE_FILE_MODULE = path.join(__dirname, "remoteFile");
const SSH_MODULE = path.join(__dirname, "ssh");

export interface ManagedFileArgs {
  /** How to reach the host: address, port, user, pinned host key and a private key or agent socket. */
  readonly connection: pulumi.Input<SshTarget>;
  /** Absolute path on the host. Changing it replaces the resource (the old file is left in place). */
  readonly path: string;
  /** The content, in `encoding`. */
  readonly content: pulumi.Input<string>;
  /** `base64` for binary content (the munge key). Defaults to `utf8`. */
  readonly encoding?: FileEncoding;
  /** Octal mode such as `0644`. */
  readonly mode: string;
  /** `OWNER:GROUP`, e.g. `root:root`. */
  readonly owner: string;
  /** The content is a secret (a key): kept secret in the state, masked in diffs and drift reports. Defaults to false. */
  readonly secret?: boolean;
}

/** What the provider gets and keeps: the args resolved. `observed` is what the last read found. */
export interface ManagedFileState {
  readonly connection: SshTarget;
  readonly path: string;
  readonly content: string;
  readonly encoding: FileEncoding;
  readonly mode: string;
  readonly owner: string;
  readonly secret: boolean;
  /** `file` when the host has a regular file there; else what it has (`absent`, `symlink`, `not-a-file`). */
  readonly observed?: string;
}

type RemoteFile = typeof import("./remoteFile");
type Ssh = typeof import("./ssh");

async function withPool<T>(work: (pool: InstanceType<Ssh["SshPool"]>) => Promise<T>): Promise<T> {
  const { SshPool } = require(SSH_MODULE) as Ssh;
  const pool = new SshPool();
  try {
    return await work(pool);
  } finally {
    pool.close();
  }
}

async function write(state: ManagedFileState): Promise<void> {
  const files = require(REMOTE_FILE_MODULE) as RemoteFile;
  await withPool((pool) => files.writeRemoteFile(pool, state.connection, state));
}

const provider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: ManagedFileState, news: ManagedFileState): Promise<pulumi.dynamic.DiffResult> {
    const files = require(REMOTE_FILE_MODULE) as RemoteFile;
    const kept = (s: ManagedFileState) => ({ ...s, host: s.connection.host });
    const { changes, replaces } = files.planFileChange(kept(olds), kept(news));
    return { changes: changes.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
  },
  async create(inputs: ManagedFileState): Promise<pulumi.dynamic.CreateResult> {
    await write(inputs);
    return { id: `${inputs.connection.host}:${inputs.path}`, outs: { ...inputs, observed: "file" } };
  },
  async update(_id: string, _olds: ManagedFileState, news: ManagedFileState): Promise<pulumi.dynamic.UpdateResult> {
    await write(news);
    return { outs: { ...news, observed: "file" } };
  },
  async read(id: string, props: ManagedFileState): Promise<pulumi.dynamic.ReadResult> {
    const files = require(REMOTE_FILE_MODULE) as RemoteFile;
    const found = await withPool((pool) => files.readRemoteFile(pool, props.connection, props.path, props.encoding));
    const observedProps =
      found.kind === "file"
        ? { ...props, content: found.content, mode: found.mode, owner: found.owner, observed: "file" }
        : { ...props, content: "", observed: found.kind };
    return { id, props: observedProps };
  },
  // A file that leaves the program stays on its host: nothing is removed without an explicit opt-in.
  async delete(): Promise<void> {},
};

export class ManagedFile extends pulumi.dynamic.Resource {
  public readonly path!: pulumi.Output<string>;
  public readonly content!: pulumi.Output<string>;
  public readonly mode!: pulumi.Output<string>;
  public readonly owner!: pulumi.Output<string>;

  constructor(name: string, args: ManagedFileArgs, opts: pulumi.CustomResourceOptions = {}) {
    const secret = args.secret ?? false;
    const props = {
      connection: pulumi.secret(args.connection),
      path: args.path,
      content: secret ? pulumi.secret(args.content) : args.content,
      encoding: args.encoding ?? "utf8",
      mode: args.mode,
      owner: args.owner,
      secret,
      observed: undefined,
    };
    super(provider, name, props, {
      ...opts,
      additionalSecretOutputs: ["connection", ...(secret ? ["content"] : [])],
    }, "host", "ManagedFile");
  }
}
