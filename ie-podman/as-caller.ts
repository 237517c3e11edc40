/**
 * Reading and writing files in the caller's name. ie-podman runs as root, but a path the user names is
 * read and written by a child process with the caller's uid and gid (and no supplementary groups), so a
 * symlink or a swapped directory gets the user no more than their own permissions.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Caller } from "./caller";
import { CommandFailed, ENV, capture } from "./podman";

const asCaller = (caller: Caller) => ({ uid: caller.uid, gid: caller.gid, env: { ...ENV, HOME: caller.home } });

/** The bytes of `file`, read with the caller's permissions. */
export function readAsCaller(file: string, caller: Caller): Buffer {
  const r = spawnSync("/usr/bin/cat", ["--", file], { ...asCaller(caller), cwd: "/", maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new CommandFailed(`reading ${file}`, r.status ?? 128, String(r.stderr ?? r.error?.message ?? ""));
  return r.stdout;
}

/** `dir` as a tar stream into `tarFile` (root's), read with the caller's permissions. */
export function tarAsCaller(dir: string, tarFile: string, caller: Caller): void {
  const fd = openSync(tarFile, "w", 0o600);
  try {
    capture("/usr/bin/tar", ["-C", dir, "-cf", "-", "."], { ...asCaller(caller), cwd: "/", stdio: ["ignore", fd, "pipe"] });
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies root's `source` to `dest` (relative to `cwd`) as the caller: the file is theirs, and it lands only
 * where they may write. Refuses to replace an existing file unless `force`.
 */
export function writeAsCaller(source: string, dest: string, cwd: string, caller: Caller, force: boolean): void {
  const fd = openSync(source, "r");
  try {
    capture("/usr/bin/dd", [`of=${dest}`, "bs=4M", "status=none", ...(force ? [] : ["conv=excl"])], { ...asCaller(caller), cwd, stdio: [fd, "pipe", "pipe"] });
  } catch (e) {
    if (e instanceof CommandFailed && /File exists/.test(e.stderr)) throw new Error(`${dest} exists in ${cwd}: remove it or pass --force`);
    throw e;
  } finally {
    closeSync(fd);
  }
}
