/**
 * Each user's containers as the login message reads them: a small tab-separated file per uid under
 * STATUS_DIR, written by root whenever ie-podman lists the user's containers (`ps`) and by the hourly reaper
 * for every owner, so a login reads a file instead of starting node and podman (which takes longer than a
 * login may). Readable by the user's group only (root-owned, 0640). The removal time is absolute, so the
 * login message counts down from it however old the file is.
 *
 *   # ie-podman: containers of uid 2001 at 1800000000
 *   NAME<TAB>STATE<TAB>ADDRESS or -<TAB>REMOVE-AT (unix seconds) or -
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { PsRow } from "./verbs/ps";

export const STATUS_DIR = "/run/ie-podman/status";

/** The status file's text for `uid` at `now` (unix seconds). Names and states hold no tab (Podman's names are [a-zA-Z0-9_.-]). */
export function statusText(rows: readonly PsRow[], uid: number, now: number): string {
  const lines = rows.map((r) => [r.name, r.state, r.ip ?? "-", r.removedInSeconds !== undefined ? String(now + r.removedInSeconds) : "-"].join("\t"));
  return [`# ie-podman: containers of uid ${uid} at ${now}`, ...lines, ""].join("\n");
}

/** Writes `dir/UID.tsv` atomically, root-owned with the user's group, 0640; the directory 0711 (no listing). */
export function writeStatus(dir: string, uid: number, gid: number, text: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const file = path.join(dir, `${uid}.tsv`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chownSync(tmp, 0, gid);
  chmodSync(tmp, 0o640);
  renameSync(tmp, file);
}

/** The uids that have a status file in `dir` (none when it does not exist). */
export function statusUids(dir: string): number[] {
  try {
    return readdirSync(dir).flatMap((n) => /^(\d+)\.tsv$/.exec(n)?.[1] ?? []).map(Number);
  } catch {
    return [];
  }
}
