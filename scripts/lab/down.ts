/**
 * Taking the lab down, and cleaning what a killed run left behind (which `up` does too before it creates
 * anything): hosts halted (or killed), then their cgroups, mounts, root file systems, PID files, the
 * firewall and the bridge removed, and the pinned host keys forgotten. The lab's SSH key and the
 * machine-wide cache are kept.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { killLabProcesses, removeLabCgroups } from "./cgroups";
import { stopHosts, type StopOutcome } from "./machines";
import { removeTree, unmountUnder } from "./mounts";
import { removeNetwork } from "./network";
import { removeNspawnRuntime } from "./nspawn-runtime";
import { hostKeyPath, hostsDir, labKnownHostsPath, runDir } from "./paths";
import { foreignLabRoots } from "./status";

export interface LabDownResult {
  readonly hosts: readonly { readonly name: string; readonly outcome: StopOutcome }[];
  /** Everything removed, in words (`bridge ie-lab0`, a cgroup directory, ...). */
  readonly removed: readonly string[];
}

/** Hosts named by the plan plus any that only a PID file remembers (a host since removed from the stack). */
function knownHosts(planHosts: readonly string[]): string[] {
  const fromPidFiles = existsSync(runDir())
    ? readdirSync(runDir())
        .filter((n) => n.endsWith(".pid"))
        .map((n) => n.slice(0, -4))
    : [];
  return [...new Set([...planHosts, ...fromPidFiles])];
}

/**
 * Stop every host and remove every trace of the lab; safe to run again and on the leftovers of a killed
 * run. Refuses to touch a lab of another clone of the project that is running on this machine.
 */
export function teardownLab(planHosts: readonly string[], bridge: string, log: (line: string) => void): LabDownResult {
  const foreign = foreignLabRoots();
  if (foreign.length > 0) {
    throw new Error(
      `another clone's lab is running on this machine (${foreign.join(", ")}); one lab per machine: ` +
        "take that one down from its own clone first",
    );
  }
  const removed: string[] = [];
  const outcomes = stopHosts(knownHosts(planHosts));
  for (const [name, outcome] of outcomes) if (outcome === "killed") log(`${name} did not halt in time: killed`);

  const stray = killLabProcesses(undefined);
  if (stray.length > 0) removed.push(`${stray.length} leftover processes`);
  removed.push(...removeLabCgroups());

  removed.push(...removeNspawnRuntime(knownHosts(planHosts)));
  removed.push(...unmountUnder(hostsDir()).map((m) => `mount ${m}`));
  if (existsSync(hostsDir())) {
    for (const name of readdirSync(hostsDir())) {
      removeTree(path.join(hostsDir(), name));
      removed.push(path.join(hostsDir(), name));
    }
  }
  if (existsSync(runDir())) {
    for (const name of readdirSync(runDir())) {
      if (name.endsWith(".pid") || name.endsWith(".overlay")) {
        removeTree(path.join(runDir(), name));
        removed.push(path.join(runDir(), name));
      }
    }
  }
  // Pinned keys belong to root file systems that are gone; the next `up` pins the new ones.
  for (const name of knownHosts(planHosts)) {
    if (existsSync(hostKeyPath(name))) {
      rmSync(hostKeyPath(name));
      removed.push(hostKeyPath(name));
    }
  }
  if (existsSync(labKnownHostsPath())) {
    rmSync(labKnownHostsPath());
    removed.push(labKnownHostsPath());
  }
  removed.push(...removeNetwork(bridge));
  return { hosts: [...outcomes].map(([name, outcome]) => ({ name, outcome })), removed };
}
