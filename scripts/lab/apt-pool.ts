/**
 * The machine's pool of downloaded Debian packages, shared by every lab host without a shared lock. Each host
 * keeps its own /var/cache/apt/archives (so the hosts install at the same time: one archive bound into all of
 * them made apt take turns, and a fresh machine's first apply waited over 12 minutes on it). `up` links the
 * pool's packages into a new host's archive before it boots; `apply` and `down` link what the hosts downloaded
 * back into the pool. Hard links on one file system, copies across two; apt never rewrites a .deb in place.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/** A host's apt archive inside its root file system. */
export function hostAptArchive(rootfs: string): string {
  return path.join(rootfs, "var", "cache", "apt", "archives");
}

/** Links (or copies) every .deb of `from` that `to` lacks; returns how many. Makes `to` when needed. */
function share(from: string, to: string): number {
  if (!existsSync(from)) return 0;
  mkdirSync(to, { recursive: true });
  const present = new Set(readdirSync(to));
  let added = 0;
  for (const name of readdirSync(from)) {
    if (!name.endsWith(".deb") || present.has(name)) continue;
    try {
      linkSync(path.join(from, name), path.join(to, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
      copyFileSync(path.join(from, name), path.join(to, name));
    }
    added++;
  }
  return added;
}

/** Before a new host boots: the pool's packages into its archive. */
export function seedHostArchive(pool: string, rootfs: string): number {
  return share(pool, hostAptArchive(rootfs));
}

/** After an apply, before a host's root file system goes: what the host downloaded into the pool. */
export function harvestHostArchive(rootfs: string, pool: string): number {
  return share(hostAptArchive(rootfs), pool);
}

/** After an apply: what every host under `hostsRoot` (one root file system per directory) downloaded. */
export function harvestAllHosts(hostsRoot: string, pool: string): number {
  if (!existsSync(hostsRoot)) return 0;
  let kept = 0;
  for (const name of readdirSync(hostsRoot)) {
    const rootfs = path.join(hostsRoot, name);
    if (!name.startsWith(".") && statSync(rootfs).isDirectory()) kept += harvestHostArchive(rootfs, pool);
  }
  return kept;
}
