/**
 * What of the lab exists on this machine right now: per host whether it runs and answers SSH (and how
 * much memory it uses), and every trace a lab leaves (bridge, firewall, cgroups, mounts, processes, root
 * file systems, PID files, host records), so that `status` after `down` can prove nothing is left. The hosts
 * are those of the default stack and every other one the run dir knows, whatever file booted it.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { labCgroupDirs, labProcesses } from "./cgroups";
import { mountsUnder } from "./mounts";
import { bridgeExists, nftTableExists } from "./network";
import { nspawnRuntimeLeftovers } from "./nspawn-runtime";
import { isOurRootfs, nspawnRootOf, runningPid } from "./machines";
import { hostsDir, labKnownHostsPath, runDir } from "./paths";
import type { LabHostSpec } from "./plan";
import type { Role } from "../../components/inventory/schema";
import { sshRun } from "./ssh";

export interface LabHostStatus {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly Role[];
  /** nspawn's PID while the host runs. */
  readonly pid?: number;
  readonly running: boolean;
  /** sshd answered a login with the lab key and the pinned host key. */
  readonly sshd: boolean;
  /** Memory the host's processes use (cgroup usage less inactive file cache), while it runs. */
  readonly memoryBytes?: number;
}

export interface LabLeftovers {
  readonly bridge: boolean;
  readonly nftTable: boolean;
  /** `ie-lab` cgroup directories, one per hierarchy. */
  readonly cgroups: readonly string[];
  /** Mount points under the hosts' directory. */
  readonly mounts: readonly string[];
  /** Processes in the lab's cgroups. */
  readonly processes: readonly number[];
  /** Entries under .lab/hosts (root file systems, nspawn's lock files). */
  readonly rootfs: readonly string[];
  /** nspawn's files in /run/systemd/nspawn for the lab's hosts. */
  readonly nspawnRuntime: readonly string[];
  readonly pidFiles: readonly string[];
  /** `up`'s records of the hosts it booted (.lab/run/<host>.json). */
  readonly hostRecords: readonly string[];
  /** Root directories of running nspawns in the lab's cgroups that belong to another clone's lab. */
  readonly foreignRoots: readonly string[];
}

export interface LabStatus {
  /** The default stack's hosts, then every other host the run dir knows (booted by `up --config-file`). */
  readonly hosts: readonly LabHostStatus[];
  readonly leftovers: LabLeftovers;
  /** Every host runs and answers SSH, and the bridge and the firewall are there. */
  readonly up: boolean;
  /** No trace of a lab at all. */
  readonly clean: boolean;
}

/** Root directories of nspawns in the lab's cgroups that are not this clone's hosts. */
export function foreignLabRoots(processes: readonly number[] = labProcesses()): string[] {
  return processes
    .map(nspawnRootOf)
    .filter((r): r is string => r !== undefined)
    .filter((r) => !isOurRootfs(r));
}

export function scanLeftovers(bridge: string, hosts: readonly string[]): LabLeftovers {
  const processes = labProcesses();
  return {
    bridge: bridgeExists(bridge),
    nftTable: nftTableExists(),
    cgroups: labCgroupDirs(),
    mounts: mountsUnder(hostsDir()),
    processes,
    rootfs: existsSync(hostsDir()) ? readdirSync(hostsDir()).map((n) => path.join(hostsDir(), n)) : [],
    nspawnRuntime: nspawnRuntimeLeftovers(hosts),
    pidFiles: runDirFiles(".pid"),
    hostRecords: runDirFiles(".json"),
    foreignRoots: foreignLabRoots(processes),
  };
}

function runDirFiles(suffix: string): string[] {
  return existsSync(runDir()) ? readdirSync(runDir()).filter((n) => n.endsWith(suffix)).map((n) => path.join(runDir(), n)) : [];
}

export function leftoversEmpty(l: LabLeftovers): boolean {
  return (
    !l.bridge &&
    !l.nftTable &&
    l.cgroups.length === 0 &&
    l.mounts.length === 0 &&
    l.processes.length === 0 &&
    l.rootfs.length === 0 &&
    l.nspawnRuntime.length === 0 &&
    l.pidFiles.length === 0 &&
    l.hostRecords.length === 0
  );
}

/** Memory a host uses: the v1 memory cgroup's usage less its inactive file cache. */
function hostMemory(host: string): number | undefined {
  const dir = labCgroupDirs().find((d) => existsSync(path.join(d, host, "memory.usage_in_bytes")));
  if (dir === undefined) return undefined;
  const usage = Number(readFileSync(path.join(dir, host, "memory.usage_in_bytes"), "utf8"));
  const stat = readFileSync(path.join(dir, host, "memory.stat"), "utf8");
  const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? "0");
  return Math.max(0, usage - inactive);
}

/** Whether a host answers SSH with the lab key and its pinned host key. */
export async function sshAnswers(address: string): Promise<boolean> {
  if (!existsSync(labKnownHostsPath())) return false;
  return (await sshRun(address, ["true"], 8_000, 3)).status === 0;
}

/** A running host that nothing describes (no record, not in the default stack): its address is unknown. */
export const UNKNOWN_ADDRESS = "?";

export async function hostStatuses(hosts: readonly Pick<LabHostSpec, "name" | "address" | "roles">[]): Promise<LabHostStatus[]> {
  return Promise.all(
    hosts.map(async (h) => {
      const pid = runningPid(h.name);
      const running = pid !== undefined;
      const sshd = running && h.address !== UNKNOWN_ADDRESS && (await sshAnswers(h.address));
      const memoryBytes = running ? hostMemory(h.name) : undefined;
      return {
        name: h.name,
        address: h.address,
        roles: h.roles,
        ...(pid !== undefined ? { pid } : {}),
        running,
        sshd,
        ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      };
    }),
  );
}

/** The status of these hosts (see lab.ts: the default stack's and every other the run dir knows) and the machine's traces. */
export async function statusOf(hosts: readonly Pick<LabHostSpec, "name" | "address" | "roles">[], bridge: string): Promise<LabStatus> {
  const statuses = await hostStatuses(hosts);
  const leftovers = scanLeftovers(bridge, hosts.map((h) => h.name));
  return {
    hosts: statuses,
    leftovers,
    up: statuses.every((h) => h.running && h.sshd) && leftovers.bridge && leftovers.nftTable,
    clean: leftoversEmpty(leftovers),
  };
}

/** Which of `names` do not run or do not answer SSH, by the status (a name it does not list counts as down). */
export function hostsNotUp(names: readonly string[], status: Pick<LabStatus, "hosts">): string[] {
  return names.filter((n) => !status.hosts.some((h) => h.name === n && h.running && h.sshd));
}
