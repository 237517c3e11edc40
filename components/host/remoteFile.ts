/**
 * A file on a host as the ManagedFile provider, `npm run drift` and the lab runner see it: read it back
 * (content, mode, owner), say which of them differ from what the stack wants, and write it atomically.
 * Reading and writing go through scripts/host/read-file.sh and write-file.sh over SSH with the pinned host
 * key; content travels on STDIN, never on a command line.
 *
 * An ordinary module on purpose: the dynamic provider `require()`s it inside its functions (provider
 * closures are serialized), and its logic is tested against a real sshd.
 */
import { scriptCommand } from "./render";
import { readScript } from "./scripts";
import type { SshPool, SshTarget } from "./ssh";

/** How content is carried: text as it is, or base64 for binary files (the munge key). */
export type FileEncoding = "utf8" | "base64";

/** The file as the stack wants it. */
export interface DesiredFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** The content, in `encoding`. */
  readonly content: string;
  readonly encoding: FileEncoding;
  /** Octal mode such as `0644`. */
  readonly mode: string;
  /** `OWNER:GROUP`. */
  readonly owner: string;
}

/** The file as the host has it. */
export type ObservedFile =
  | { readonly kind: "file"; readonly content: string; readonly mode: string; readonly owner: string }
  | { readonly kind: "absent" | "symlink" | "not-a-file" };

/** A large file as the host has it, by digest only: what a ManagedFile that keeps `sha256` compares. */
export type ObservedDigest =
  | { readonly kind: "file"; readonly sha256: string; readonly size: number; readonly mode: string; readonly owner: string }
  | { readonly kind: "absent" | "symlink" | "not-a-file" };

/** A large file as the stack wants it, by digest only. */
export interface DesiredDigest {
  readonly path: string;
  /** SHA-256 (hex) of the bytes. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
  readonly mode: string;
  readonly owner: string;
}

/** What can differ between the two: `presence` when there is no regular file at the path at all. */
export type FileField = "presence" | "content" | "mode" | "owner";

/** Thrown when a host cannot be reached or a script fails: names the host, the path and the output. */
export class RemoteFileError extends Error {
  constructor(
    readonly host: string,
    readonly path: string,
    message: string,
  ) {
    super(`${host}:${path}: ${message}`);
  }
}

/** `644`, `0644` -> `0644`: the form modes are compared and shown in. */
export function normalMode(mode: string): string {
  if (!/^[0-7]{3,4}$/.test(mode)) throw new Error(`not an octal mode: '${mode}'`);
  return Number.parseInt(mode, 8).toString(8).padStart(4, "0");
}

/** Parses what read-file.sh printed. Pure. */
export function parseReadOutput(stdout: string, encoding: FileEncoding): ObservedFile {
  const [head = "", body = ""] = stdout.split("\n");
  if (head === "absent" || head === "symlink" || head === "not-a-file") return { kind: head };
  const m = /^present ([0-7]{3,4}) (\S+:\S+)$/.exec(head);
  if (m === null) throw new Error(`read-file.sh printed something unexpected: '${head.slice(0, 80)}'`);
  const content = encoding === "base64" ? body : Buffer.from(body, "base64").toString("utf8");
  return { kind: "file", content, mode: normalMode(m[1]), owner: m[2] };
}

/** Parses what `read-file.sh PATH sha256` printed. Pure. */
export function parseDigestOutput(stdout: string): ObservedDigest {
  const [head = "", body = ""] = stdout.split("\n");
  if (head === "absent" || head === "symlink" || head === "not-a-file") return { kind: head };
  const m = /^present ([0-7]{3,4}) (\S+:\S+)$/.exec(head);
  const d = /^sha256 ([0-9a-f]{64}) (\d+)$/.exec(body);
  if (m === null || d === null) throw new Error(`read-file.sh printed something unexpected: '${stdout.slice(0, 120)}'`);
  return { kind: "file", sha256: d[1], size: Number(d[2]), mode: normalMode(m[1]), owner: m[2] };
}

/** Which fields of a file kept by digest differ; `content` when the bytes do (the digest or size). Pure. */
export function digestDifferences(observed: ObservedDigest, desired: DesiredDigest): FileField[] {
  if (observed.kind !== "file") return ["presence"];
  const fields: FileField[] = [];
  if (observed.sha256 !== desired.sha256 || observed.size !== desired.size) fields.push("content");
  if (observed.mode !== normalMode(desired.mode)) fields.push("mode");
  if (observed.owner !== desired.owner) fields.push("owner");
  return fields;
}

/** Which fields differ, in a fixed order; empty when the host has the file as wanted. Pure. */
export function fileDifferences(observed: ObservedFile, desired: DesiredFile): FileField[] {
  if (observed.kind !== "file") return ["presence"];
  const fields: FileField[] = [];
  if (observed.content !== desired.content) fields.push("content");
  if (observed.mode !== normalMode(desired.mode)) fields.push("mode");
  if (observed.owner !== desired.owner) fields.push("owner");
  return fields;
}

/** Scripts need root: a login user other than root goes through `sudo -n`. */
function command(target: SshTarget, script: string, args: readonly string[]): string {
  return scriptCommand(readScript(script), script, args, { sudo: target.user !== "root" });
}

/** Reads only the digest, size, mode and owner of the file at `path`: its content never travels. */
export async function readRemoteDigest(ssh: SshPool, target: SshTarget, path: string): Promise<ObservedDigest> {
  const result = await execOrExplain(ssh, target, path, command(target, "host/read-file.sh", [path, "sha256"]));
  if (result.code !== 0) throw new RemoteFileError(target.host, path, `reading failed (exit ${result.code}): ${result.stderr.trim()}`);
  return parseDigestOutput(result.stdout);
}

/** Reads the file at `path` from the host. Rejects with a RemoteFileError when the host cannot answer. */
export async function readRemoteFile(ssh: SshPool, target: SshTarget, path: string, encoding: FileEncoding): Promise<ObservedFile> {
  const result = await execOrExplain(ssh, target, path, command(target, "host/read-file.sh", [path]));
  if (result.code !== 0) throw new RemoteFileError(target.host, path, `reading failed (exit ${result.code}): ${result.stderr.trim()}`);
  return parseReadOutput(result.stdout, encoding);
}

/**
 * Writes the file atomically (temporary file in the same directory, then rename) when its content, mode or
 * owner differ; leaves it alone otherwise. Resolves with write-file.sh's report ("changed PATH" ...).
 */
export async function writeRemoteFile(ssh: SshPool, target: SshTarget, file: DesiredFile): Promise<string> {
  return writeRemoteBytes(ssh, target, file, Buffer.from(file.content, file.encoding === "base64" ? "base64" : "utf8"));
}

/** As `writeRemoteFile`, with the content as bytes (a large artifact read from a local file). */
export async function writeRemoteBytes(ssh: SshPool, target: SshTarget, file: Omit<DesiredFile, "content" | "encoding">, content: Buffer): Promise<string> {
  const line = command(target, "host/write-file.sh", [file.path, file.mode, file.owner]);
  const result = await execOrExplain(ssh, target, file.path, line, content);
  if (result.code !== 0) throw new RemoteFileError(target.host, file.path, `writing failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Reading or writing one file takes well under a second; a channel silent for this long is lost. */
const FILE_TIMEOUT_MS = 60_000;

/** Runs the script once more on a fresh connection when the first try got no answer (both are idempotent). */
async function execOrExplain(ssh: SshPool, target: SshTarget, path: string, line: string, stdin?: Buffer) {
  try {
    return await ssh.exec(target, line, stdin, FILE_TIMEOUT_MS).catch((err: unknown) => {
      if (!(err instanceof Error) || !/no answer after/.test(err.message)) throw err;
      return ssh.exec(target, line, stdin, FILE_TIMEOUT_MS);
    });
  } catch (err) {
    throw new RemoteFileError(target.host, path, err instanceof Error ? err.message : String(err));
  }
}
