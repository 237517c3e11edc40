/**
 * Root file systems of the lab hosts. The base is a `debootstrap --variant=minbase` of Debian 13, built
 * once per machine and package list and cached outside the clone; each host is a copy of it (about a
 * second) made its own by prepare-host.sh.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CommandError, run, runAsync } from "./exec";
import type { HostCustomisation } from "./host-files";
import type { DebianMirror } from "./mirror";
import { removeTree } from "./mounts";
import { aptArchiveDir, labCacheDir, labScriptPath } from "./paths";

/** Debian 13: what the lab-tested Ceph 18, Slurm 24.11, podman 5 and apptainer need. */
export const LAB_SUITE = "trixie";

/**
 * Packages of the base beyond minbase: a booting systemd with logind sessions, sshd with sftp (files are
 * copied over SFTP), networking and the tools the lab's own checks use.
 */
export const BASE_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "libpam-systemd",
  "openssh-server",
  "openssh-sftp-server",
  "iproute2",
  "ca-certificates",
  "netbase",
  "procps",
  "iputils-ping",
];

export interface BaseRecipe {
  readonly suite: string;
  readonly packages: readonly string[];
  readonly archive: string;
}

/** Cache directory name of a base: suite + a hash of everything that changes its content. */
export function baseRootfsName(recipe: BaseRecipe): string {
  const hash = createHash("sha256")
    .update(JSON.stringify({ variant: "minbase", suite: recipe.suite, packages: [...recipe.packages].sort(), archive: recipe.archive }))
    .digest("hex")
    .slice(0, 12);
  return `${recipe.suite}-${hash}`;
}

export interface BaseRootfs {
  readonly path: string;
  /** True when it was bootstrapped now, false when taken from the cache. */
  readonly built: boolean;
  readonly seconds: number;
}

/** The cached base root file system for the mirror, bootstrapped when missing. */
export function ensureBaseRootfs(mirror: DebianMirror, log: (line: string) => void): BaseRootfs {
  const started = Date.now();
  const recipe: BaseRecipe = { suite: LAB_SUITE, packages: BASE_PACKAGES, archive: mirror.archive };
  const cacheRoot = path.join(labCacheDir(), "rootfs");
  const target = path.join(cacheRoot, baseRootfsName(recipe));
  if (existsSync(path.join(target, "etc", "os-release"))) {
    return { path: target, built: false, seconds: (Date.now() - started) / 1000 };
  }
  mkdirSync(cacheRoot, { recursive: true });
  ensureAptArchive();
  removeStaleBuilds(cacheRoot);
  const build = `${target}.build-${process.pid}`;
  log(`bootstrapping the base root file system (${LAB_SUITE}, once per machine) into ${target}; log: ${target}.debootstrap.log`);
  debootstrap(build, BASE_PACKAGES, mirror, `${target}.debootstrap.log`);
  // debootstrap copies this machine's resolv.conf and sources.list; the hosts get their own.
  renameSync(build, target);
  return { path: target, built: true, seconds: (Date.now() - started) / 1000 };
}

/**
 * `debootstrap --variant=minbase` of the lab's suite with PACKAGES into DIR, its debs kept in the shared apt
 * archive; DIR is removed when it fails (the log's tail is in the error).
 */
export function debootstrap(dir: string, packages: readonly string[], mirror: DebianMirror, logFile: string): void {
  try {
    run("bash", [
      "-c",
      'log=$1; shift; exec "$@" >"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }',
      "debootstrap",
      logFile,
      "debootstrap",
      "--variant=minbase",
      `--include=${packages.join(",")}`,
      `--cache-dir=${aptArchiveDir()}`,
      LAB_SUITE,
      dir,
      mirror.archive,
    ]);
  } catch (err) {
    removeTree(dir);
    throw err;
  }
}

/** The machine's package pool (and its partial/, which debootstrap's cache needs) exists. */
export function ensureAptArchive(): string {
  const dir = aptArchiveDir();
  mkdirSync(path.join(dir, "partial"), { recursive: true });
  return dir;
}

/** Half-built bases left by a killed `up` whose process is gone. */
export function removeStaleBuilds(cacheRoot: string): void {
  for (const name of readdirSync(cacheRoot)) {
    const m = /\.build-(\d+)$/.exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) removeTree(path.join(cacheRoot, name));
  }
}

/** Lay a host's customisation out as a directory tree that prepare-host.sh copies into the host. */
export function writeOverlay(dir: string, customisation: HostCustomisation): void {
  removeTree(dir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const d of customisation.directories) {
    const target = path.join(dir, d.path);
    mkdirSync(target, { recursive: true });
    chmodSync(target, d.mode);
  }
  for (const f of customisation.files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
    chmodSync(target, f.mode);
  }
}

/** The arguments of prepare-host.sh for a host (removals, units to enable and to mask). */
export function prepareHostArguments(base: string, hostDir: string, overlay: string, c: HostCustomisation): string[] {
  return [
    base,
    hostDir,
    overlay,
    ...c.remove.flatMap((p) => ["--remove", p]),
    ...c.enable.flatMap((u) => ["--enable", u]),
    ...c.mask.flatMap((u) => ["--mask", u]),
  ];
}

/**
 * Make (or bring up to date) a host's root file system; returns what prepare-host.sh changed. Async so
 * that several hosts are copied at once.
 */
export async function prepareHost(base: string, hostDir: string, overlay: string, c: HostCustomisation): Promise<string[]> {
  writeOverlay(overlay, c);
  const command = [labScriptPath("prepare-host.sh"), ...prepareHostArguments(base, hostDir, overlay, c)];
  const r = await runAsync("bash", command, 300_000);
  if (r.status !== 0) throw new CommandError(`bash ${command.join(" ")}`, r);
  removeTree(overlay);
  return r.stdout.split("\n").filter((l) => l !== "");
}
