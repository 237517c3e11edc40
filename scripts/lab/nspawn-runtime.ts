/**
 * What systemd-nspawn keeps on this machine for a running host besides the process: a directory in
 * /run/systemd/nspawn/propagate/<machine> (and unix-export/ on newer versions) and a lock file named after
 * the root directory's device and inode. nspawn removes them when it exits; a killed nspawn leaves them.
 */
import { existsSync, rmSync, rmdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { unmountUnder } from "./mounts";
import { hostRootfsPath } from "./paths";

const NSPAWN_RUN = "/run/systemd/nspawn";

/** nspawn's runtime files of these hosts that exist now. */
export function nspawnRuntimeLeftovers(hosts: readonly string[]): string[] {
  const found: string[] = [];
  for (const host of hosts) {
    for (const dir of ["propagate", "unix-export"]) {
      const p = path.join(NSPAWN_RUN, dir, host);
      if (existsSync(p)) found.push(p);
    }
    const root = hostRootfsPath(host);
    if (existsSync(root)) {
      const st = statSync(root);
      const lock = path.join(NSPAWN_RUN, "locks", `inode-${st.dev}:${st.ino}`);
      if (existsSync(lock)) found.push(lock);
    }
  }
  return found;
}

/** Remove nspawn's runtime files of hosts that no longer run (before their root directories go). */
export function removeNspawnRuntime(hosts: readonly string[]): string[] {
  const found = nspawnRuntimeLeftovers(hosts);
  for (const p of found) {
    unmountUnder(p);
    rmSync(p, { recursive: true, force: true });
  }
  // nspawn's own directories, left empty; one still in use by another nspawn is not empty and stays.
  for (const dir of ["propagate", "unix-export", "locks", ""]) {
    try {
      rmdirSync(path.join(NSPAWN_RUN, dir));
    } catch {
      // not empty, or not there
    }
  }
  return found;
}
