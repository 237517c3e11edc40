/**
 * Bringing the lab up from a stack file: prerequisites, leftovers of a killed run cleaned, the cached base root
 * file system, one prepared copy per new host, the network, the new hosts booted in their own cgroups, and
 * their host keys read back and pinned. Hosts already running are left alone, so `up` on a running lab
 * changes nothing, and `up --config-file FILE` with one more host boots just that host. Running hosts that
 * FILE does not list are left running (`down HOST` removes one). A FILE that does not fit the running lab
 * (another network, a running host's address) boots nothing.
 */
import { existsSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { seedHostArchive } from "./apt-pool";
import { waitForHosts } from "./boot-wait";
import { killLabProcesses, removeLabCgroups } from "./cgroups";
import { teardownLab } from "./down";
import { summariseRemoved } from "./format";
import { etcHostsWithPeers, renderHostCustomisation, type LabPeer } from "./host-files";
import { runningPid, startHost } from "./machines";
import { ensureGuestImage, installGuestImage } from "./guest";
import { chooseHostsToBoot, goldenImageHosts, joinProblems, labPeers } from "./membership";
import { localDebianMirror, resolveMirror } from "./mirror";
import { removeTree } from "./mounts";
import { ensureNetwork, firewallMirrorAddresses } from "./network";
import { removeNspawnRuntime } from "./nspawn-runtime";
import { aptArchiveDir, hostRootfsPath, labStatePath, pidFilePath, runDir } from "./paths";
import { LabPlanError, type LabHostSpec, type LabPlan } from "./plan";
import { installPrerequisites } from "./prereqs";
import { forgetHosts } from "./runner/state";
import { keyFilePath, pinnedKeysOf, recordOf, recordsFor, removeHostRecord, runDirHostNames, writeHostRecord, type HostRecord } from "./registry";
import { LAB_SUITE, ensureAptArchive, ensureBaseRootfs, prepareHost } from "./rootfs";
import { ensureLabKey, ensureOwnerKeys } from "./ssh";
import { foreignLabRoots, sshAnswers } from "./status";

export interface LabUpOptions {
  /** Progress lines. Defaults to none. */
  readonly log?: (line: string) => void;
  /** Seconds each host may take from start to sshd answering. Defaults to 120. */
  readonly bootTimeoutSeconds?: number;
  /**
   * The default lab stack's plan, which describes running hosts booted before the lab kept a record of each
   * host (see registry.ts). Defaults to the plan being brought up.
   */
  readonly defaults?: LabPlan;
}

export interface LabUpHost {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly string[];
  readonly pid: number;
  /** Seconds from start to sshd answering; 0 for a host that was already running. */
  readonly seconds: number;
  /** False when the host was already running and left alone. */
  readonly started: boolean;
}

export interface LabUpResult {
  /** Every host of the file was running already; none was started. */
  readonly alreadyUp: boolean;
  /** The stack file the hosts were read from. */
  readonly source: string;
  /** The file's hosts. */
  readonly hosts: readonly LabUpHost[];
  /** Hosts that run although the file does not list them: left running. */
  readonly leftRunning: readonly LabUpHost[];
  /** Seconds per phase. */
  readonly timings: {
    readonly prerequisites: number;
    readonly cleanup: number;
    readonly rootfs: number;
    /** True when the base root file system was bootstrapped (not cached). */
    readonly rootfsBuilt: boolean;
    readonly prepare: number;
    readonly network: number;
    readonly boot: number;
    /** Making the golden image on the VM hosts (0 when it existed). */
    readonly golden: number;
    readonly total: number;
  };
}

function since(t: number): number {
  return Math.round((Date.now() - t) / 100) / 10;
}

/** The hosts whose nspawn runs now, whatever stack file booted them, and those running that nothing describes. */
export function runningHosts(defaults: LabPlan | undefined): { records: HostRecord[]; undescribed: string[] } {
  return recordsFor(runDirHostNames().filter((name) => runningPid(name) !== undefined), defaults);
}

/** Bring the plan's hosts up (the caller holds the lab lock). */
export async function bringUp(plan: LabPlan, options: LabUpOptions = {}): Promise<LabUpResult> {
  const log = options.log ?? ((): void => undefined);
  const t0 = Date.now();
  const foreign = foreignLabRoots();
  if (foreign.length > 0) {
    throw new Error(`another clone's lab is running on this machine (${foreign.join(", ")}); one lab per machine: take that one down from its own clone first`);
  }
  // Everything that decides whether the file fits the running lab is known before anything changes.
  const { records: running, undescribed } = runningHosts(options.defaults ?? plan);
  const problems = joinProblems(plan, running);
  if (problems.length > 0) {
    throw new LabPlanError(`${plan.source} does not fit the running lab; nothing was booted:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  for (const name of undescribed) log(`${name} runs, but the lab has no record of its address: left running ('npm run lab -- down ${name}' removes it)`);

  installPrerequisites(log);
  for (const file of ensureOwnerKeys(plan.ownerKeys)) log(`made the rental owner's key pair ${file} (and its private half beside it)`);
  const prerequisites = since(t0);

  // A host that runs but does not answer is made anew like one that is gone.
  const listed = running.filter((r) => plan.hosts.some((h) => h.name === r.name));
  const answers = await Promise.all(listed.map(async (r) => ((await sshAnswers(r.address)) ? [r.name] : [])));
  const choice = chooseHostsToBoot(plan, running, new Set(answers.flat()));
  for (const r of choice.leftRunning) {
    log(`${r.name} (${r.address}, booted from ${r.source}) is not in ${plan.source}: left running ('npm run lab -- down ${r.name}' removes it)`);
  }
  // Kept hosts are described by this file from now on (their roles may have changed; address and GPUs cannot).
  for (const h of choice.keep) writeHostRecord(recordOf(plan, h));
  const peers = labPeers(plan, choice);
  const golden = goldenImageHosts(plan, choice, running);
  const pids = new Map(running.map((r) => [r.name, runningPid(r.name) ?? 0]));
  const leftRunning = choice.leftRunning.map((r) => ({ name: r.name, address: r.address, roles: r.roles, pid: pids.get(r.name) ?? 0, seconds: 0, started: false }));

  if (choice.start.length === 0) {
    ensureNetworkFor(plan, log, await mirrorAddresses(false));
    refreshEtcHosts([...choice.keep, ...choice.leftRunning], peers, log);
    const t = Date.now();
    await makeGoldenImages(plan, golden, log);
    return {
      alreadyUp: true,
      source: plan.source,
      hosts: plan.hosts.map((h) => ({ ...h, pid: pids.get(h.name) ?? 0, seconds: 0, started: false })),
      leftRunning,
      timings: { prerequisites, cleanup: 0, rootfs: 0, rootfsBuilt: false, prepare: 0, network: 0, boot: 0, golden: since(t), total: since(t0) },
    };
  }

  const t1 = Date.now();
  if (choice.fresh) {
    const cleaned = teardownLab(plan.hosts.map((h) => h.name), plan.bridge, log);
    if (cleaned.removed.length > 0) log(`cleaned leftovers of an earlier lab: ${summariseRemoved(cleaned.removed).join(", ")}`);
  } else {
    for (const h of choice.start) cleanHost(h.name, log);
  }
  const forgotten = forgetHostsOf(choice.start);
  if (forgotten > 0) log(`forgot ${forgotten} applied resources of the hosts made anew: the next apply runs them again`);
  const cleanup = since(t1);

  const t2 = Date.now();
  const authorizedKey = ensureLabKey();
  const mirror = localDebianMirror();
  const mirrorNames = await resolveMirror(mirror);
  ensureAptArchive();
  const base = ensureBaseRootfs(mirror, log);
  const rootfs = since(t2);
  if (base.built) log(`base root file system bootstrapped in ${base.seconds.toFixed(1)} s`);

  const t3 = Date.now();
  await Promise.all(
    choice.start.map(async (host) => {
      const customisation = renderHostCustomisation({ plan, host, peers, mirror, mirrorNames, authorizedKey, suite: LAB_SUITE });
      const overlay = path.join(runDir(), `${host.name}.overlay`);
      const changes = await prepareHost(base.path, hostRootfsPath(host.name), overlay, customisation);
      const seeded = seedHostArchive(aptArchiveDir(), hostRootfsPath(host.name));
      log(`${host.name}: root file system ready (${changes.length} changes, ${seeded} packages from the machine's pool)`);
    }),
  );
  const prepare = since(t3);

  const t4 = Date.now();
  const resolved = mirrorNames.flatMap((n) => n.addresses);
  ensureNetworkFor(plan, log, choice.fresh ? resolved : withLoadedMirrorAddresses(resolved));
  const network = since(t4);

  const t5 = Date.now();
  // The record first: a host that fails to boot is still found (and removed) by `down`.
  for (const h of choice.start) writeHostRecord(recordOf(plan, h));
  const booting = choice.start.map((h) => ({ name: h.name, address: h.address, keyFile: keyFilePath(h), startedAt: Date.now(), pid: startHost(h.name, plan.bridge) }));
  log(`started ${booting.map((b) => `${b.name} (pid ${b.pid})`).join(", ")}; waiting for sshd`);
  // Every host that keeps running stays pinned, listed in the file or not.
  const ready = await waitForHosts(booting, pinnedKeysOf([...choice.keep, ...choice.leftRunning]), options.bootTimeoutSeconds ?? 120);
  refreshEtcHosts([...choice.keep, ...choice.leftRunning], peers, log);
  const boot = since(t5);

  const t6 = Date.now();
  await makeGoldenImages(plan, golden, log);
  const goldenSeconds = since(t6);

  const seconds = new Map(ready.map((r) => [r.name, r.seconds]));
  for (const b of booting) pids.set(b.name, b.pid);
  const started = new Set(choice.start.map((h) => h.name));
  return {
    alreadyUp: false,
    source: plan.source,
    hosts: plan.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      roles: h.roles,
      pid: pids.get(h.name) ?? 0,
      seconds: Math.round((seconds.get(h.name) ?? 0) * 10) / 10,
      started: started.has(h.name),
    })),
    leftRunning,
    timings: { prerequisites, cleanup, rootfs, rootfsBuilt: base.built, prepare, network, boot, golden: goldenSeconds, total: since(t0) },
  };
}

/**
 * The stack's golden image on the given VM hosts: the lab's Debian guest (scripts/lab/guest.ts), built once
 * per machine and copied where the stack names it; `apply` imports it into Ceph.
 */
async function makeGoldenImages(plan: LabPlan, hosts: readonly LabHostSpec[], log: (line: string) => void): Promise<void> {
  const golden = plan.goldenImage;
  if (golden === undefined || hosts.length === 0) return;
  const guest = ensureGuestImage(localDebianMirror(), log);
  for (const host of hosts) log(`${host.name}: ${installGuestImage(guest, host.name, golden)}`);
}

/**
 * The mirror addresses the firewall lets through. Hosts that keep running pinned the mirror address resolved
 * when they were made, so while any runs the set only grows: a new resolution adds to what is loaded.
 */
async function mirrorAddresses(fresh: boolean): Promise<string[]> {
  const resolved = (await resolveMirror(localDebianMirror())).flatMap((n) => n.addresses);
  return fresh ? resolved : withLoadedMirrorAddresses(resolved);
}

function withLoadedMirrorAddresses(resolved: readonly string[]): string[] {
  return [...new Set([...firewallMirrorAddresses(), ...resolved])].sort();
}

function ensureNetworkFor(plan: LabPlan, log: (line: string) => void, addresses: readonly string[]): void {
  for (const change of ensureNetwork(plan, addresses)) log(change);
}

/**
 * Running hosts' /etc/hosts list every lab host (the lab has no DNS): rewrite the lab hosts section of those
 * that lack a host that joined, or list one that left. Written beside and renamed, never through a link.
 */
function refreshEtcHosts(hosts: readonly { readonly name: string }[], peers: readonly LabPeer[], log: (line: string) => void): void {
  for (const host of hosts) {
    const file = path.join(hostRootfsPath(host.name), "etc", "hosts");
    if (!existsSync(file) || !lstatSync(file).isFile()) continue;
    const text = readFileSync(file, "utf8");
    const next = etcHostsWithPeers(text, peers);
    if (next === undefined || next === text) continue;
    const tmp = `${file}.ie-lab-new`;
    rmSync(tmp, { force: true });
    writeFileSync(tmp, next, { flag: "wx", mode: 0o644 });
    renameSync(tmp, file);
    log(`${host.name}: /etc/hosts lists ${peers.map((p) => p.name).join(", ")}`);
  }
}

function forgetHostsOf(hosts: readonly LabHostSpec[]): number {
  return forgetHosts(labStatePath(), hosts.map((h) => h.address));
}

/** Remove what is left of one host that is not running (or does not answer), so that it starts from a fresh copy. */
function cleanHost(host: string, log: (line: string) => void): void {
  const killed = killLabProcesses(host);
  const cgroups = removeLabCgroups(host);
  removeNspawnRuntime([host]);
  removeTree(hostRootfsPath(host));
  removeTree(`${hostRootfsPath(host)}.partial`);
  rmSync(pidFilePath(host), { force: true });
  removeHostRecord(host);
  if (killed.length > 0 || cgroups.length > 0) log(`${host}: cleaned leftovers (${killed.length} processes, ${cgroups.length} cgroups)`);
}
