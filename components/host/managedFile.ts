/**
 * `ManagedFile`: a configuration file on a host as a Pulumi resource that can read itself back. `@pulumi/command`
 * cannot see what is on a host after it ran, so a file edited by hand would never show; this dynamic
 * resource's `read` fetches the real content, mode and owner over SSH (host key pinned), so
 * `pulumi preview --refresh` and `pulumi refresh` show hand edits as differences, and the next `up` puts the
 * file back. `create`/`update` write atomically (temporary file + rename).
 *
 * The engine runs dynamic providers in a separate plain-Node process (cwd = the project), from the `__provider`
 * text this program serializes and the state stores. So the closure below captures nothing but a relative path:
 * it requires the compiled provider (`dist/providers/managedFile.js`, built from fileProvider.ts by `npm ci`)
 * from the project directory it runs in, never a path of the checkout that wrote the state.
 *
 * States written before this (their text requires `<checkout>/components/host/remoteFile`, a .ts file plain
 * Node cannot load): Read with that text fails ("Cannot find module"), Delete works (it needs no module).
 * Diff and Update run the program's current text, and Diff asks for an update whenever the stored text is
 * not the current one, so one `pulumi up --refresh=false` stores the current text in every such file's
 * state; the provider reads the old shape (no `keep`, an `agentSocketPath` it ignores).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BLOB_DIR, digestOf } from "./fileState";
import type { FileEncoding } from "./remoteFile";
import { PROJECT_ROOT } from "./scripts";
import type { SshTarget } from "./ssh";

export type { ManagedFileState } from "./fileState";

/** The resource type (`pulumi-nodejs:dynamic/host:ManagedFile`): the lab runner and `drift` recognise it. */
export const MANAGED_FILE_TYPE = "pulumi-nodejs:dynamic/host:ManagedFile";

/**
 * The compiled provider, relative to the project directory (`npm run build:providers` writes it). The closure
 * below spells it out, since it may capture nothing; a test keeps the two and package.json in step.
 */
export const PROVIDER_BUNDLE = "dist/providers/managedFile.js";

/** How a file is kept in the state: its `content`, or only its `sha256` and size (large artifacts). */
export type FileKeeping = "content" | "sha256";

export interface ManagedFileArgs {
  /** How to reach the host: address, port, user, pinned host key; a private key unless the ssh-agent of `SSH_AUTH_SOCK` is used. */
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
  /**
   * `sha256` keeps only the content's SHA-256 and size in the state (a program bundle of hundreds of KiB): the
   * bytes are staged under the project's `dist/blobs/` and uploaded from there; refresh compares digests, so
   * a changed file still shows, without a line diff. Not for secrets. Defaults to `content`.
   */
  readonly keep?: FileKeeping;
}

/** The compiled provider's functions, as `require()` of the bundle gives them. */
interface CompiledProvider {
  diff(id: string, olds: unknown, news: unknown): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: unknown): Promise<pulumi.dynamic.CreateResult>;
  update(id: string, olds: unknown, news: unknown): Promise<pulumi.dynamic.UpdateResult>;
  read(id: string, props: unknown): Promise<pulumi.dynamic.ReadResult>;
}

// Pulumi serializes the provider below, and this function with it, into the state. They capture nothing (no
// import, no constant) and name no absolute path: the bundle is found in the directory the provider runs in.
function compiledProvider(): CompiledProvider {
  const file = require("path").join(process.cwd(), "dist/providers/managedFile.js");
  if (!require("fs").existsSync(file)) throw new Error(`ManagedFile: ${file} is missing: run 'npm ci' in the project directory (its prepare script builds it)`);
  return require(file) as CompiledProvider;
}

const provider: pulumi.dynamic.ResourceProvider = {
  diff: (id: string, olds: unknown, news: unknown) => compiledProvider().diff(id, olds, news),
  create: (inputs: unknown) => compiledProvider().create(inputs),
  update: (id: string, olds: unknown, news: unknown) => compiledProvider().update(id, olds, news),
  read: (id: string, props: unknown) => compiledProvider().read(id, props),
  // A file that leaves the program stays on its host: nothing is removed without an explicit opt-in. Needs no
  // code, so a state can always be deleted, whatever checkout runs it.
  delete: async () => undefined,
};

/** Writes the bytes to `dist/blobs/<sha256>` of the project once, for the provider to upload; returns the digest. */
function stageBlob(content: string, encoding: FileEncoding): { sha256: string; size: number } {
  const bytes = Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
  const digest = digestOf(bytes);
  const dir = path.join(PROJECT_ROOT, BLOB_DIR);
  const file = path.join(dir, digest.sha256);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  }
  return digest;
}

export class ManagedFile extends pulumi.dynamic.Resource {
  public readonly path!: pulumi.Output<string>;
  public readonly mode!: pulumi.Output<string>;
  public readonly owner!: pulumi.Output<string>;

  constructor(name: string, args: ManagedFileArgs, opts: pulumi.CustomResourceOptions = {}) {
    const secret = args.secret ?? false;
    const keep = args.keep ?? "content";
    if (keep === "sha256" && secret) throw new Error(`${name}: a secret cannot be kept by sha256 (its bytes would be staged on disk in plain)`);
    const encoding = args.encoding ?? "utf8";
    const kept =
      keep === "sha256"
        ? (() => {
            const digest = pulumi.output(args.content).apply((c) => stageBlob(c, encoding));
            return { sha256: digest.sha256, size: digest.size };
          })()
        : { content: secret ? pulumi.secret(args.content) : args.content, encoding };
    const props = {
      connection: pulumi.secret(args.connection),
      path: args.path,
      mode: args.mode,
      owner: args.owner,
      secret,
      keep,
      ...kept,
      observed: undefined,
    };
    super(provider, name, props, {
      ...opts,
      additionalSecretOutputs: ["connection", ...(secret ? ["content"] : [])],
    }, "host", "ManagedFile");
  }
}
