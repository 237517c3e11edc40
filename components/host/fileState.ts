/**
 * What a ManagedFile keeps in Pulumi's state, and the provider's diff over it. Pure, and free of the Pulumi SDK:
 * the provider bundle (fileProvider.ts), the program side (managedFile.ts), `npm run drift` and the lab runner
 * share it.
 *
 * Two ways to keep a file: by `content` (the state holds the text; a diff shows its lines), or by `sha256` for
 * large artifacts (the state holds only the digest and size; the bytes are staged in the project's
 * `dist/blobs/<sha256>` by the program and uploaded from there by the provider).
 */
import { createHash } from "node:crypto";
import { normalMode, type FileEncoding } from "./remoteFile";
import type { SshTarget } from "./ssh";

/** Where a file kept by `sha256` is staged, relative to the project directory (git-ignored `dist/`). */
export const BLOB_DIR = "dist/blobs";

interface KeptFileBase {
  /** How to reach the host: address, port, user, pinned host key and, unless an ssh-agent is used, the key. */
  readonly connection: SshTarget;
  /** Absolute path on the host. */
  readonly path: string;
  /** Octal mode such as `0644`. */
  readonly mode: string;
  /** `OWNER:GROUP`. */
  readonly owner: string;
  readonly secret: boolean;
  /** `file` when the last read found a regular file there; else what it found (`absent`, `symlink`, `not-a-file`). */
  readonly observed?: string;
}

/** A file kept by its content. A state written before `keep` existed has this shape without `keep`. */
export interface ContentFileState extends KeptFileBase {
  readonly keep?: "content";
  readonly content: string;
  readonly encoding: FileEncoding;
}

/** A large file kept by digest: the state never holds its bytes. */
export interface DigestFileState extends KeptFileBase {
  readonly keep: "sha256";
  /** SHA-256 (hex) of the bytes. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

export type ManagedFileState = ContentFileState | DigestFileState;

const CONNECTION_FIELDS = ["host", "port", "user", "hostKey", "privateKey"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Props from the engine as this version keeps them. Accepts what older versions wrote: a connection carrying
 * `agentSocketPath` (a stale per-login path: the agent of the running process is used instead) and no `keep`.
 * Throws a plain Error naming what is missing.
 */
export function normalState(props: unknown): ManagedFileState {
  if (!isRecord(props) || !isRecord(props.connection)) throw new Error("the ManagedFile's properties have no connection");
  const raw = props.connection;
  const connection: Record<string, unknown> = {};
  for (const field of CONNECTION_FIELDS) if (raw[field] !== undefined) connection[field] = raw[field];
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw new Error(`the ManagedFile's '${what}' is not a string`);
    return v;
  };
  const base = {
    connection: {
      host: str(connection.host, "connection.host"),
      port: typeof connection.port === "number" ? connection.port : 22,
      user: typeof connection.user === "string" ? connection.user : "root",
      hostKey: str(connection.hostKey, "connection.hostKey"),
      ...(typeof connection.privateKey === "string" ? { privateKey: connection.privateKey } : {}),
    },
    path: str(props.path, "path"),
    mode: str(props.mode, "mode"),
    owner: str(props.owner, "owner"),
    secret: props.secret === true,
    ...(typeof props.observed === "string" ? { observed: props.observed } : {}),
  };
  if (props.keep === "sha256") {
    return { ...base, keep: "sha256", sha256: str(props.sha256, "sha256"), size: Number(props.size) };
  }
  return { ...base, keep: "content", content: str(props.content ?? "", "content"), encoding: props.encoding === "base64" ? "base64" : "utf8" };
}

/** The bytes a content-kept file stands for. */
export function contentBytes(state: ContentFileState): Buffer {
  return Buffer.from(state.content, state.encoding === "base64" ? "base64" : "utf8");
}

/** SHA-256 (hex) and size of bytes. */
export function digestOf(bytes: Buffer): { readonly sha256: string; readonly size: number } {
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

/** The digest either kind of state stands for. */
export function stateDigest(state: ManagedFileState): { readonly sha256: string; readonly size: number } {
  return state.keep === "sha256" ? { sha256: state.sha256, size: state.size } : digestOf(contentBytes(state));
}

/**
 * The provider's diff, pure: what changed between the kept (refreshed) file and the wanted one. A new path or
 * host replaces the resource; content, mode, owner, encoding or the way it is kept update it in place. Between
 * the two ways of keeping a file, the bytes are compared by digest.
 */
export function planStateChange(kept: ManagedFileState, wanted: ManagedFileState): { readonly changes: readonly string[]; readonly replaces: readonly string[] } {
  const replaces = [...(kept.path !== wanted.path ? ["path"] : []), ...(kept.connection.host !== wanted.connection.host ? ["connection"] : [])];
  const fields: string[] = [];
  const present = kept.observed === undefined || kept.observed === "file";
  if (!present) fields.push("content");
  else if (kept.keep === "sha256" || wanted.keep === "sha256") {
    const a = stateDigest(kept);
    const b = stateDigest(wanted);
    if (a.sha256 !== b.sha256 || a.size !== b.size) fields.push(wanted.keep === "sha256" ? "sha256" : "content");
  } else {
    if (kept.content !== wanted.content) fields.push("content");
    if (kept.encoding !== wanted.encoding) fields.push("encoding");
  }
  if (normalMode(kept.mode) !== normalMode(wanted.mode)) fields.push("mode");
  if (kept.owner !== wanted.owner) fields.push("owner");
  if ((kept.keep ?? "content") !== (wanted.keep ?? "content")) fields.push("keep");
  return { changes: [...replaces, ...fields], replaces };
}
