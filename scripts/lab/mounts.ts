/**
 * Mounts this machine has under a lab directory. nspawn mounts in its own namespace, so normally there
 * are none; a killed debootstrap or a bind mount made by hand can leave some, and a plain `rm -rf` must
 * never walk into a mounted /proc or /dev.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { tryRun } from "./exec";

/** Mount points listed in a mountinfo text (field 5, octal escapes decoded). */
export function mountPointsOf(mountinfo: string): string[] {
  return mountinfo
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.split(" ")[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** Mount points at or under `dir` on this machine, deepest first (the order to unmount them). */
export function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir);
  return mountPointsOf(readFileSync("/proc/self/mountinfo", "utf8"))
    .filter((m) => m === root || m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmount everything at or under `dir` (lazily when busy); returns what was unmounted. */
export function unmountUnder(dir: string): string[] {
  const done: string[] = [];
  for (const mount of mountsUnder(dir)) {
    if (tryRun("umount", [mount]).status !== 0 && tryRun("umount", ["-l", mount]).status !== 0) {
      throw new Error(`cannot unmount ${mount}: unmount it by hand, then run the command again`);
    }
    done.push(mount);
  }
  return done;
}

/** Delete a directory tree safely: unmount what is mounted inside first, never cross into another file system. */
export function removeTree(dir: string): string[] {
  const unmounted = unmountUnder(dir);
  const r = tryRun("rm", ["-rf", "--one-file-system", dir]);
  if (r.status !== 0) throw new Error(`cannot remove ${dir}: ${r.stderr.trim()}`);
  return unmounted;
}
