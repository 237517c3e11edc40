/**
 * The lab as a library, for the CLI (`npm run lab`) and the lab test runner: which hosts there are and how
 * to reach them, and up / down / status / check returning plain data.
 *
 *   const hosts = labHosts();               // name, address, roles, gpus, hostKey once `up` pinned it
 *   ssh(labSshArgs(host.address, ["hostname"]))   // root, lab key, pinned known_hosts
 */
import { existsSync, readFileSync } from "node:fs";
import type { Role } from "../../components/inventory/schema";
import { checkLab, type HostCheck } from "./check";
import { teardownLab, type LabDownResult } from "./down";
import { withLabLock } from "./lock";
import { hostKeyPath, labStatePath } from "./paths";
import { forgetHosts } from "./runner/state";
import { LAB_BRIDGE, LabPlanError, loadLabPlan, type LabGpus } from "./plan";
import { restartHost, type RestartResult } from "./restart";
import { statusOf, type LabStatus } from "./status";
import { bringUp, type LabUpOptions, type LabUpResult } from "./up";

export { labKnownHostsPath, labRoot, labSshKeyPath, labStatePath, projectRoot } from "./paths";
export { labSshArgs, labSshOptions, remoteCommandLine, sshRun as labSshRun } from "./ssh";
export type { HostCheck } from "./check";
export type { LabDownResult } from "./down";
export type { LabHostStatus, LabLeftovers, LabStatus } from "./status";
export type { LabUpHost, LabUpOptions, LabUpResult } from "./up";

export interface LabHost {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly Role[];
  readonly gpus?: LabGpus;
  /** The host's pinned SSH host key (`ssh-ed25519 AAAA... root@<host>`); undefined until `up` read it back. */
  readonly hostKey?: string;
}

/** The lab's hosts as `stacks/Pulumi.lab.yaml` declares them, with the host keys `up` pinned. */
export function labHosts(): LabHost[] {
  return loadLabPlan().hosts.map((h) => {
    const keyFile = hostKeyPath(h.name);
    const hostKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined;
    return { ...h, ...(hostKey ? { hostKey } : {}) };
  });
}

/** Bring the lab up (a no-op when it already runs). */
export function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  const plan = loadLabPlan();
  return withLabLock("bring the lab up", () => bringUp(plan, options));
}

export interface LabDownOptions {
  /** Progress lines. Defaults to none. */
  readonly log?: (line: string) => void;
}

/** Stop every host and remove every trace of the lab (keeps the lab key and the machine-wide cache). */
export function labDown(options: LabDownOptions = {}): Promise<LabDownResult> {
  const log = options.log ?? ((): void => undefined);
  // A broken stack file must not keep a lab running: then the hosts are found by their PID files.
  let hosts: string[] = [];
  try {
    hosts = loadLabPlan().hosts.map((h) => h.name);
  } catch (err) {
    if (!(err instanceof LabPlanError)) throw err;
    log(`${err.message}\n(taking down the hosts that have PID files)`);
  }
  return withLabLock("take the lab down", async () => {
    const result = teardownLab(hosts, LAB_BRIDGE, log);
    // The hosts are gone: nothing the runner applied on them exists any more.
    forgetHosts(labStatePath());
    return result;
  });
}

/** Halt one host and boot it again from the same root file system (a reboot rehearsal). */
export function labRestart(name: string): Promise<RestartResult> {
  const plan = loadLabPlan();
  return withLabLock(`restart ${name}`, () => restartHost(plan, name));
}

/** Hosts running or not, and every trace of a lab on this machine. */
export function labStatus(): Promise<LabStatus> {
  return statusOf(loadLabPlan());
}

/** Health of every host (empty `problems` = healthy). */
export function labCheck(): Promise<HostCheck[]> {
  return checkLab(loadLabPlan());
}
