/**
 * The lab runner's memory between applies, as Pulumi's checkpoint is for `pulumi up`: per resource the digests
 * of its inputs, its outputs and what is needed to delete it later. Written after every resource (a killed
 * apply keeps what it did). Holds generated secrets (the munge key), so it is private to root (0600) and lives
 * under the git-ignored `.lab/`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { InputDigests } from "./plan";

export interface ResourceRecord {
  readonly type: string;
  readonly name: string;
  /** Host the command ran on, or the file is on. */
  readonly host?: string;
  /** The provider's id (ManagedFiles), as Pulumi's state keeps it. */
  readonly id?: string;
  readonly digests: InputDigests;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The command to run when the resource leaves the program or is replaced. */
  readonly deleteCommand?: string;
  /** The stdin that delete command gets: the one the resource had (may hold a secret; the file is 0600). */
  readonly deleteStdin?: string;
  readonly target?: { readonly host: string; readonly port: number; readonly user: string; readonly hostKey: string };
}

export interface LabState {
  readonly version: 1;
  resources: Record<string, ResourceRecord>;
}

export function resourceKey(type: string, name: string): string {
  return `${type}::${name}`;
}

export function loadState(path: string): LabState {
  if (!existsSync(path)) return { version: 1, resources: {} };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as LabState;
  if (parsed.version !== 1) throw new Error(`${path}: unknown lab state version ${String(parsed.version)}`);
  return parsed;
}

export function saveState(path: string, state: LabState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1), { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * Forgets what was applied on hosts that are gone or made anew (by `lab up` / `lab down`): their commands
 * must run again, as a first `pulumi up` on new servers would. Generated values (the munge key) are kept.
 * `addresses` undefined: every host's. Returns how many records were dropped.
 */
export function forgetHosts(path: string, addresses?: readonly string[]): number {
  if (!existsSync(path)) return 0;
  const state = loadState(path);
  const gone = (r: ResourceRecord): boolean => r.host !== undefined && (addresses === undefined || addresses.includes(r.host));
  const dropped = Object.entries(state.resources).filter(([, r]) => gone(r));
  for (const [key] of dropped) delete state.resources[key];
  if (dropped.length > 0) saveState(path, state);
  return dropped.length;
}
