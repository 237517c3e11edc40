/**
 * The ManagedFile provider's logic, as the Pulumi engine runs it: esbuild bundles this module into
 * `dist/providers/managedFile.js` (the `prepare` script, so `npm ci` builds it), and the tiny serialized closure
 * of managedFile.ts requires that bundle relative to the project directory. Ordinary compiled JavaScript,
 * nothing captured by the closure serializer: class fields, Maps and Error subclasses all work here.
 *
 * Every failure leaves as a plain `Error` whose message names the host and path and what went wrong (the
 * engine shows only the message). One SSH pool per provider process: the engine reads every file of a host at
 * once on refresh, and the pool caps handshakes and sessions per host (see ssh.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BLOB_DIR, contentBytes, digestOf, normalState, planStateChange, type ManagedFileState } from "./fileState";
import { digestDifferences, fileDifferences, readRemoteDigest, readRemoteFile, writeRemoteBytes, type FileField } from "./remoteFile";
import { PROJECT_ROOT } from "./scripts";
import { SshPool } from "./ssh";

/** The diff result the dynamic provider host expects (structurally `pulumi.dynamic.DiffResult`). */
export interface FileDiff {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

type Props = Record<string, unknown>;

let shared: SshPool | undefined;
function pool(): SshPool {
  // Idle connections close, so a provider host that lives for a whole `pulumi up` holds none it does not use.
  shared ??= new SshPool({ idleMs: 10_000 });
  return shared;
}

/**
 * The bytes to write: the content itself, or the staged blob of a file kept by digest (verified). The program
 * stages blobs in its project; PROJECT_ROOT is that project here too, compiled (dist/providers/../..) or not.
 */
export function wantedBytes(state: ManagedFileState, projectDir: string = PROJECT_ROOT): Buffer {
  if (state.keep !== "sha256") return contentBytes(state);
  const blob = path.join(projectDir, BLOB_DIR, state.sha256);
  if (!fs.existsSync(blob)) {
    throw new Error(
      `its content (sha256 ${state.sha256}, ${state.size} bytes) is not staged at ${blob}: run pulumi from the project directory, where the program stages it`,
    );
  }
  const bytes = fs.readFileSync(blob);
  const found = digestOf(bytes);
  if (found.sha256 !== state.sha256) throw new Error(`the staged ${blob} has sha256 ${found.sha256}, not ${state.sha256}`);
  return bytes;
}

/** Reads the host's copy and writes the wanted one when they differ; resolves with the fields that differed. */
export async function applyFile(ssh: SshPool, state: ManagedFileState, projectDir?: string): Promise<readonly FileField[]> {
  const target = state.connection;
  const fields =
    state.keep === "sha256"
      ? digestDifferences(await readRemoteDigest(ssh, target, state.path), state)
      : fileDifferences(await readRemoteFile(ssh, target, state.path, state.encoding), state);
  if (fields.length > 0) await writeRemoteBytes(ssh, target, state, wantedBytes(state, projectDir));
  return fields;
}

/** Runs one provider step; any failure becomes a plain Error that names the host and the path. */
async function step<T>(props: unknown, work: (state: ManagedFileState) => Promise<T>): Promise<T> {
  let state: ManagedFileState;
  try {
    state = normalState(props);
  } catch (err) {
    throw new Error(`ManagedFile: ${messageOf(err)}`);
  }
  try {
    return await work(state);
  } catch (err) {
    const where = `${state.connection.host}:${state.path}`;
    const message = messageOf(err);
    throw new Error(message.startsWith(where) ? message : `${where}: ${message}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the state keeps after a write: the inputs as given, the file now in place. */
function written(props: Props): Props {
  return { ...props, observed: "file" };
}

export async function diff(_id: string, olds: Props, news: Props): Promise<FileDiff> {
  return step(news, async (wanted) => {
    const { changes, replaces } = planStateChange(normalState(olds), wanted);
    // Refresh and delete run the provider text stored in the state: an update stores the current one, so a
    // state written by an older version (whose text may not load any more) is carried forward by one `up`.
    const stale = typeof olds.__provider === "string" && typeof news.__provider === "string" && olds.__provider !== news.__provider;
    return { changes: changes.length > 0 || stale, replaces: [...replaces], deleteBeforeReplace: false };
  });
}

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  return step(inputs, async (state) => {
    await writeRemoteBytes(pool(), state.connection, state, wantedBytes(state));
    return { id: `${state.connection.host}:${state.path}`, outs: written(inputs) };
  });
}

export async function update(_id: string, _olds: Props, news: Props): Promise<{ outs: Props }> {
  return step(news, async (state) => {
    await writeRemoteBytes(pool(), state.connection, state, wantedBytes(state));
    return { outs: written(news) };
  });
}

/**
 * What the host has, in the state's terms: for a file kept by content its content, mode and owner; for one kept
 * by digest its sha256 and size. The connection comes back as this version keeps it (no agent socket path).
 */
export async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  return step(props, async (state) => {
    const kept = { ...props, connection: state.connection };
    if (state.keep === "sha256") {
      const found = await readRemoteDigest(pool(), state.connection, state.path);
      return {
        id,
        props: found.kind === "file" ? { ...kept, sha256: found.sha256, size: found.size, mode: found.mode, owner: found.owner, observed: "file" } : { ...kept, observed: found.kind },
      };
    }
    const found = await readRemoteFile(pool(), state.connection, state.path, state.encoding);
    return {
      id,
      props: found.kind === "file" ? { ...kept, content: found.content, mode: found.mode, owner: found.owner, observed: "file" } : { ...kept, content: "", observed: found.kind },
    };
  });
}

/** A file that leaves the program stays on its host: nothing is removed without an explicit opt-in. */
export async function remove(): Promise<void> {}
