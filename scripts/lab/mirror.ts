/**
 * The Debian mirror the lab hosts install from: the one this machine's apt already uses (its sources in
 * /etc/apt), so the lab needs no address of its own. The hosts have no DNS: the mirror's names are
 * resolved here at `up` time, pinned in each host's /etc/hosts and are the only addresses the lab's NAT lets
 * through.
 */
import { lookup } from "node:dns/promises";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";

export interface DebianMirror {
  /** The archive, e.g. `http://deb.debian.org/debian`. */
  readonly archive: string;
  /** The security archive, e.g. `http://deb.debian.org/debian-security`. */
  readonly security: string;
}

/** deb.debian.org: what a stock Debian install uses when this machine names nothing usable. */
export const DEFAULT_MIRROR: DebianMirror = {
  archive: "http://deb.debian.org/debian",
  security: "http://deb.debian.org/debian-security",
};

/**
 * The Debian archive and security URIs named in apt source texts (deb822 `.sources` or one-line
 * `.list`); each falls back to the default when no source names it.
 */
export function debianMirrorFromSources(texts: readonly string[]): DebianMirror {
  const uris: string[] = [];
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      const deb822 = /^URIs:\s*(.+)$/i.exec(trimmed);
      if (deb822) uris.push(...deb822[1].split(/\s+/));
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(trimmed);
      if (oneLine) uris.push(oneLine[1]);
    }
  }
  const clean = uris.map((u) => u.replace(/\/+$/, "")).filter((u) => /^https?:\/\//.test(u));
  return {
    archive: clean.find((u) => u.endsWith("/debian")) ?? DEFAULT_MIRROR.archive,
    security: clean.find((u) => u.endsWith("/debian-security")) ?? DEFAULT_MIRROR.security,
  };
}

/** This machine's Debian mirror, from /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}. */
export function localDebianMirror(aptDir = "/etc/apt"): DebianMirror {
  const files: string[] = [];
  const main = path.join(aptDir, "sources.list");
  if (existsSync(main)) files.push(main);
  const dir = path.join(aptDir, "sources.list.d");
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith(".list") || name.endsWith(".sources")) files.push(path.join(dir, name));
    }
  }
  return debianMirrorFromSources(files.map((f) => readFileSync(f, "utf8")));
}

/** The distinct host names of a mirror's URIs. */
export function mirrorHostNames(mirror: DebianMirror): string[] {
  return [...new Set([mirror.archive, mirror.security].map((u) => new URL(u).hostname))];
}

/** A mirror host name with the IPv4 addresses it had at `up` time (the first is pinned in /etc/hosts). */
export interface ResolvedName {
  readonly name: string;
  readonly addresses: readonly string[];
}

/** Resolve every mirror host name to its IPv4 addresses on this machine; a name that does not resolve is an error. */
export async function resolveMirror(mirror: DebianMirror): Promise<ResolvedName[]> {
  const names = mirrorHostNames(mirror);
  return Promise.all(
    names.map(async (name) => {
      try {
        const found = await lookup(name, { all: true, family: 4 });
        return { name, addresses: [...new Set(found.map((f) => f.address))] };
      } catch (err) {
        throw new Error(`cannot resolve the Debian mirror ${name} on this machine: ${String(err)}`);
      }
    }),
  );
}
