/**
 * The lab as a library, for the CLI (`npm run lab`) and the lab test runner: which hosts there are and how
 * to reach them, and up / down / status / check returning plain data. The lab's hosts are those of
 * `stacks/Pulumi.lab.yaml` plus any other that `up --config-file FILE` booted (found by its record in the
 * run dir, see registry.ts).
 *
 *   const hosts = labHosts();               // name, address, roles, gpus, hostKey once `up` pinned it
 *   ssh(labSshArgs(host.address, ["hostname"]))   // root, lab key, pinned known_hosts
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { NAME_RE, type Role } from "../../components/inventory/schema";
import { checkLab, type HostCheck } from "./check";
import { teardownHost, teardownLab, type LabDownResult } from "./down";
import { withLabLock } from "./lock";
import { runningPid } from "./machines";
import { parseDownArguments } from "./membership";
import { hostsDir, labStackPath, labStatePath } from "./paths";
import { forgetHosts } from "./runner/state";
import { LAB_BRIDGE, LabPlanError, loadLabPlan, type LabGpus, type LabHostSpec, type LabPlan } from "./plan";
import { keyFilePath, mergeHosts, readHostRecord, runDirHostNames, type HostRecord } from "./registry";
import { restartHost, type RestartResult } from "./restart";
import { UNKNOWN_ADDRESS, hostsNotUp, statusOf, type LabStatus } from "./status";
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

/** The default stack's plan, or undefined (with the reason logged) when that file is broken. */
function defaultPlanIfReadable(log: (line: string) => void): LabPlan | undefined {
  try {
    return loadLabPlan();
  } catch (err) {
    if (!(err instanceof LabPlanError)) throw err;
    log(err.message);
    return undefined;
  }
}

interface KnownHosts {
  /** Described hosts: the default stack's, then those only the run dir knows. */
  readonly hosts: readonly LabHostSpec[];
  /** Running hosts that nothing describes (no record, not in the default stack). */
  readonly undescribed: readonly string[];
}

/** Every host the lab knows: declared by `defaults`, or booted (running or not) with a record in the run dir. */
function knownHosts(defaults: LabPlan | undefined): KnownHosts {
  const names = runDirHostNames();
  const running = new Set(names.filter((n) => runningPid(n) !== undefined));
  const records = names.map(readHostRecord).filter((r): r is HostRecord => r !== undefined);
  const hosts = mergeHosts(defaults?.hosts ?? [], records, running);
  return { hosts, undescribed: [...running].filter((n) => !hosts.some((h) => h.name === n)) };
}

/** The lab's hosts (the default stack's and every other `up` booted), with the host keys `up` pinned. */
export function labHosts(): LabHost[] {
  return knownHosts(loadLabPlan()).hosts.map((h) => {
    const keyFile = keyFilePath(h);
    const hostKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined;
    return { name: h.name, address: h.address, roles: h.roles, ...(h.gpus ? { gpus: h.gpus } : {}), ...(hostKey ? { hostKey } : {}) };
  });
}

/** The plan of a stack file (default stacks/Pulumi.lab.yaml); a missing or broken file is a LabPlanError naming it. */
export function labPlan(configFile?: string): LabPlan {
  return loadLabPlan(configFile ?? labStackPath());
}

export interface LabUpRequest extends Omit<LabUpOptions, "defaults"> {
  /** The stack file whose hosts to bring up. Defaults to stacks/Pulumi.lab.yaml. */
  readonly configFile?: string;
}

/**
 * Bring the hosts of a stack file up: those not running are made and booted, those running are left alone,
 * and so are running hosts the file does not list. A file that is missing, does not validate or does not fit
 * the running lab boots nothing (LabPlanError).
 */
export function labUp(request: LabUpRequest = {}): Promise<LabUpResult> {
  const { configFile, ...options } = request;
  const plan = labPlan(configFile);
  // Hosts booted before the lab kept records are described by the default stack.
  const defaults = configFile === undefined ? plan : defaultPlanIfReadable(() => undefined);
  return withLabLock("bring the lab up", () => bringUp(plan, { ...options, ...(defaults ? { defaults } : {}) }));
}

export interface LabDownOptions {
  /** Progress lines. Defaults to none. */
  readonly log?: (line: string) => void;
  /** Take down only these hosts (checked with `labDownArguments`); the rest of the lab, the bridge and the firewall stay. */
  readonly hosts?: readonly string[];
}

/** Names `down HOST` accepts: the default stack's hosts and every host this machine has a trace of. */
export function labKnownHostNames(): string[] {
  const declared = defaultPlanIfReadable(() => undefined)?.hosts.map((h) => h.name) ?? [];
  const rootfs = existsSync(hostsDir()) ? readdirSync(hostsDir()).filter((n) => NAME_RE.test(n)) : [];
  return [...new Set([...declared, ...runDirHostNames(), ...rootfs])];
}

/** The hosts `down ARGS` would take (empty: all), or an Error saying what is wrong with ARGS. */
export function labDownArguments(args: readonly string[]): string[] {
  const parsed = parseDownArguments(args, labKnownHostNames());
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.hosts;
}

/**
 * Stop every host and remove every trace of the lab (keeps the lab key and the machine-wide cache), hosts
 * booted from another stack file included; or, with `hosts`, just those hosts.
 */
export function labDown(options: LabDownOptions = {}): Promise<LabDownResult> {
  const log = options.log ?? ((): void => undefined);
  // A broken stack file must not keep a lab running: then the hosts are found by their PID files and records.
  const defaults = defaultPlanIfReadable((line) => log(`${line}\n(taking down the hosts that the run dir knows)`));
  if (options.hosts !== undefined && options.hosts.length > 0) {
    const only = options.hosts;
    return withLabLock(`take ${only.join(", ")} down`, async () => {
      const described = knownHosts(defaults).hosts;
      const hosts: { name: string; outcome: LabDownResult["hosts"][number]["outcome"] }[] = [];
      const removed: string[] = [];
      for (const name of only) {
        const spec = described.find((h) => h.name === name);
        const r = teardownHost({ name, ...(spec ? { address: spec.address, keyFile: keyFilePath(spec) } : {}) }, log);
        hosts.push({ name, outcome: r.outcome });
        removed.push(...r.removed);
        // The host is gone: nothing the runner applied on it exists any more.
        if (spec) forgetHosts(labStatePath(), [spec.address]);
      }
      return { hosts, removed };
    });
  }
  const hosts = defaults?.hosts.map((h) => h.name) ?? [];
  return withLabLock("take the lab down", async () => {
    const result = teardownLab(hosts, LAB_BRIDGE, log);
    // The hosts are gone: nothing the runner applied on them exists any more.
    forgetHosts(labStatePath());
    return result;
  });
}

/** Halt one host and boot it again from the same root file system (a reboot rehearsal). */
export function labRestart(name: string): Promise<RestartResult> {
  const { hosts } = knownHosts(loadLabPlan());
  const host = hosts.find((h) => h.name === name);
  if (host === undefined) throw new Error(`no lab host '${name}': the lab has ${hosts.map((h) => h.name).join(", ")}`);
  const others = hosts.filter((h) => h.name !== name && runningPid(h.name) !== undefined);
  return withLabLock(`restart ${name}`, () => restartHost(host, others, LAB_BRIDGE));
}

/** Hosts running or not (the default stack's and every other the run dir knows), and every trace of a lab on this machine. */
export function labStatus(): Promise<LabStatus> {
  const { hosts, undescribed } = knownHosts(loadLabPlan());
  return statusOf([...hosts, ...undescribed.map((name) => ({ name, address: UNKNOWN_ADDRESS, roles: [] }))], LAB_BRIDGE);
}

/** The hosts of a stack file (default the lab stack) that do not run or do not answer SSH. */
export async function labHostsNotUp(configFile?: string): Promise<string[]> {
  const plan = labPlan(configFile);
  return hostsNotUp(plan.hosts.map((h) => h.name), await labStatus());
}

/** Health of every host the lab knows (empty `problems` = healthy). */
export function labCheck(): Promise<HostCheck[]> {
  const { hosts, undescribed } = knownHosts(loadLabPlan());
  return checkLab([...hosts, ...undescribed.map((name) => ({ name, address: UNKNOWN_ADDRESS }))]);
}
