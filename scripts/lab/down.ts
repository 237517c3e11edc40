/**
 * Taking the lab down, and cleaning what a killed run left behind (which `up` does too before it creates
 * anything): hosts halted (or killed), then their cgroups, mounts, root file systems, PID files and records,
 * the firewall and the bridge removed, and the pinned host keys forgotten. The lab's SSH key and the
 * machine-wide cache are kept. `teardownHost` does the same for one host and leaves the rest of the lab,
 * the bridge and the firewall.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { harvestHostArchive } from "./apt-pool";
import { killLabProcesses, labProcesses, removeLabCgroups } from "./cgroups";
import { stopHosts, type StopOutcome } from "./machines";
import { removeTree, unmountUnder } from "./mounts";
import { removeNetwork } from "./network";
import { removeNspawnRuntime } from "./nspawn-runtime";
import { aptArchiveDir, hostKeyPath, hostKeysDir, hostRecordPath, hostRootfsPath, hostsDir, labKnownHostsPath, pidFilePath, runDir } from "./paths";
import { removeHostRecord, runDirHostNames } from "./registry";
import { knownHostsWithout } from "./ssh";
import { foreignLabRoots } from "./status";

export interface LabDownResult {
  readonly hosts: readonly { readonly name: string; readonly outcome: StopOutcome }[];
  /** Everything removed, in words (`bridge ie-lab0`, a cgroup directory, ...). */
  readonly removed: readonly string[];
}

/** Hosts named by the plan plus any that only the run dir remembers (booted from another stack file, or since removed from the stack). */
function knownHosts(planHosts: readonly string[]): string[] {
  return [...new Set([...planHosts, ...runDirHostNames()])];
}

function refuseForeign(processes?: readonly number[]): void {
  const foreign = foreignLabRoots(processes);
  if (foreign.length > 0) {
    throw new Error(
      `another clone's lab is running on this machine (${foreign.join(", ")}); one lab per machine: ` +
        "take that one down from its own clone first",
    );
  }
}

/**
 * Stop every host and remove every trace of the lab; safe to run again and on the leftovers of a killed
 * run. Refuses to touch a lab of another clone of the project that is running on this machine.
 */
export function teardownLab(planHosts: readonly string[], bridge: string, log: (line: string) => void): LabDownResult {
  refuseForeign();
  const removed: string[] = [];
  const hosts = knownHosts(planHosts);
  const outcomes = stopHosts(hosts);
  for (const [name, outcome] of outcomes) if (outcome === "killed") log(`${name} did not halt in time: killed`);

  const stray = killLabProcesses(undefined);
  if (stray.length > 0) removed.push(`${stray.length} leftover processes`);
  removed.push(...removeLabCgroups());

  removed.push(...removeNspawnRuntime(hosts));
  removed.push(...unmountUnder(hostsDir()).map((m) => `mount ${m}`));
  if (existsSync(hostsDir())) {
    for (const name of readdirSync(hostsDir())) {
      removeTree(path.join(hostsDir(), name));
      removed.push(path.join(hostsDir(), name));
    }
  }
  if (existsSync(runDir())) {
    for (const name of readdirSync(runDir())) {
      if ([".pid", ".overlay", ".json", ".json.tmp"].some((suffix) => name.endsWith(suffix))) {
        removeTree(path.join(runDir(), name));
        removed.push(path.join(runDir(), name));
      }
    }
  }
  // Pinned keys belong to root file systems that are gone; the next `up` pins the new ones. The directory is
  // the lab's own: every key in it goes, whichever stack file named it.
  if (existsSync(hostKeysDir())) {
    for (const name of readdirSync(hostKeysDir())) {
      rmSync(path.join(hostKeysDir(), name), { recursive: true, force: true });
      removed.push(path.join(hostKeysDir(), name));
    }
  }
  if (existsSync(labKnownHostsPath())) {
    rmSync(labKnownHostsPath());
    removed.push(labKnownHostsPath());
  }
  removed.push(...removeNetwork(bridge));
  return { hosts: [...outcomes].map(([name, outcome]) => ({ name, outcome })), removed };
}

export interface HostToRemove {
  readonly name: string;
  /** Its address, when the lab knows it: its line in known_hosts goes too. */
  readonly address?: string;
  /** Its pinned key file (absolute), when its record names one besides the default `.lab/hostkeys/<host>.pub`. */
  readonly keyFile?: string;
}

/**
 * Halt one host (SIGTERM, 20 s, then SIGKILL of its cgroup) and remove its cgroups, nspawn files, root file
 * system, PID file, record, pinned key and known_hosts line. The other hosts, the bridge and the firewall
 * stay. Safe to repeat.
 */
export function teardownHost(host: HostToRemove, log: (line: string) => void): { readonly outcome: StopOutcome; readonly removed: readonly string[] } {
  const { name } = host;
  refuseForeign(labProcesses(name));
  const removed: string[] = [];
  const outcome = stopHosts([name]).get(name) ?? "not running";
  if (outcome === "killed") log(`${name} did not halt in time: killed`);
  const stray = killLabProcesses(name);
  if (stray.length > 0) removed.push(`${stray.length} leftover processes`);
  removed.push(...removeLabCgroups(name));
  removed.push(...removeNspawnRuntime([name]));
  // What the host downloaded outlives it, in the machine's pool (never fatal: the pool is only a cache).
  try {
    const kept = harvestHostArchive(hostRootfsPath(name), aptArchiveDir());
    if (kept > 0) log(`${name}: ${kept} downloaded packages kept in the machine's pool`);
  } catch (e) {
    log(`${name}: its downloaded packages were not kept: ${(e as Error).message}`);
  }
  for (const dir of [hostRootfsPath(name), `${hostRootfsPath(name)}.partial`, path.join(runDir(), `${name}.overlay`)]) {
    if (existsSync(dir)) {
      removeTree(dir);
      removed.push(dir);
    }
  }
  for (const file of [pidFilePath(name), `${hostRecordPath(name)}.tmp`, ...new Set([hostKeyPath(name), ...(host.keyFile ? [host.keyFile] : [])])]) {
    if (existsSync(file)) {
      rmSync(file);
      removed.push(file);
    }
  }
  const record = removeHostRecord(name);
  if (record !== undefined) removed.push(record);
  if (existsSync(labKnownHostsPath())) {
    const text = readFileSync(labKnownHostsPath(), "utf8");
    const rest = knownHostsWithout(text, name, host.address);
    if (rest !== text) {
      writeFileSync(labKnownHostsPath(), rest);
      removed.push(`${name}'s key from ${labKnownHostsPath()}`);
    }
  }
  return { outcome, removed };
}
