/**
 * A private cgroup per lab host in every hierarchy of this machine (`/sys/fs/cgroup/<ctrl>/ie-lab/<host>`).
 * With `--keep-unit` and no systemd on this machine nspawn would otherwise leave every host in the root
 * cgroup, and the hosts' systemds would fight over one tree. It also tells, after a killed run, exactly
 * which processes were the lab's.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pauseSync } from "./exec";
import { LAB_CGROUP } from "./plan";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Mount points of cgroup hierarchies (v1 controllers, named, and the v2 one) in a mountinfo text. */
export function cgroupHierarchiesOf(mountinfo: string): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (after === undefined) continue;
    const fstype = after.split(" ")[0];
    const mountPoint = before.split(" ")[4];
    if ((fstype === "cgroup" || fstype === "cgroup2") && mountPoint.startsWith(`${CGROUP_ROOT}/`)) found.push(mountPoint);
  }
  return found;
}

export function cgroupHierarchies(): string[] {
  return cgroupHierarchiesOf(readFileSync("/proc/self/mountinfo", "utf8"));
}

/** The lab's cgroup directory in every hierarchy that has one now. */
export function labCgroupDirs(): string[] {
  return cgroupHierarchies()
    .map((h) => path.join(h, LAB_CGROUP))
    .filter((d) => existsSync(d));
}

/** Create a host's cgroups (idempotent); returns the directories, one per hierarchy. */
export function createHostCgroups(host: string): string[] {
  const dirs: string[] = [];
  for (const hierarchy of cgroupHierarchies()) {
    const lab = path.join(hierarchy, LAB_CGROUP);
    const own = path.join(lab, host);
    mkdirSync(own, { recursive: true });
    if (existsSync(path.join(hierarchy, "cpuset.cpus"))) {
      // A new v1 cpuset starts with no CPUs and no memory nodes: a process cannot join it until set.
      for (const [parent, child] of [
        [hierarchy, lab],
        [lab, own],
      ]) {
        for (const file of ["cpuset.cpus", "cpuset.mems"]) {
          const current = readFileSync(path.join(child, file), "utf8").trim();
          if (current === "") writeFileSync(path.join(child, file), readFileSync(path.join(parent, file), "utf8"));
        }
      }
    }
    dirs.push(own);
  }
  return dirs;
}

/** `fn()`, or `fallback` when the cgroup it reads vanished meanwhile (a live host's sessions come and go). */
function unlessVanished<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw err;
  }
}

/** Every PID in a cgroup subtree (all hierarchies agree for lab processes; the union is taken anyway). */
function pidsUnder(dir: string, into: Set<number>): void {
  const procs = unlessVanished(() => readFileSync(path.join(dir, "cgroup.procs"), "utf8"), "");
  for (const line of procs.split("\n")) if (line.trim() !== "") into.add(Number(line));
  for (const entry of unlessVanished(() => readdirSync(dir, { withFileTypes: true }), [])) {
    if (entry.isDirectory()) pidsUnder(path.join(dir, entry.name), into);
  }
}

/** PIDs of every process in the lab's cgroups, or in one host's when `host` is given. */
export function labProcesses(host?: string): number[] {
  const pids = new Set<number>();
  for (const dir of labCgroupDirs()) pidsUnder(host === undefined ? dir : path.join(dir, host), pids);
  pids.delete(process.pid);
  return [...pids].sort((a, b) => a - b);
}

/**
 * SIGKILL every process in the lab's cgroups (or one host's) and wait until they are gone, at most
 * `timeoutMs`; returns the PIDs killed. These cgroups hold nothing but lab hosts.
 */
export function killLabProcesses(host: string | undefined, timeoutMs = 10_000): number[] {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = labProcesses(host);
    if (pids.length === 0) return [...killed];
    if (Date.now() > deadline) {
      throw new Error(`processes ${pids.join(" ")} in the lab's cgroups did not die after SIGKILL within ${timeoutMs / 1000} s`);
    }
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // already gone
      }
    }
    pauseSync(100);
  }
}

/** Remove the lab's cgroups leaf-first (processes must be gone); returns the directories removed. */
export function removeLabCgroups(host?: string): string[] {
  const removed: string[] = [];
  const rmTree = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) rmTree(path.join(dir, entry.name));
    }
    rmdirSync(dir);
    removed.push(dir);
  };
  for (const dir of labCgroupDirs()) rmTree(host === undefined ? dir : path.join(dir, host));
  return removed;
}
