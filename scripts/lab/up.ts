/**
 * Bringing the lab up: prerequisites, leftovers of a killed run cleaned, the cached base root file system,
 * one prepared copy per host, the network, the hosts booted in their own cgroups, and their host keys
 * read back and pinned. Hosts already running are left alone, so `up` on a running lab changes nothing.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { keyOf, waitForHosts } from "./boot-wait";
import { killLabProcesses, removeLabCgroups } from "./cgroups";
import { teardownLab } from "./down";
import { summariseRemoved } from "./format";
import { renderHostCustomisation } from "./host-files";
import { runningPid, startHost } from "./machines";
import { localDebianMirror, resolveMirror } from "./mirror";
import { removeTree } from "./mounts";
import { ensureNetwork } from "./network";
import { removeNspawnRuntime } from "./nspawn-runtime";
import { hostKeyPath, hostRootfsPath, labScriptPath, labStatePath, pidFilePath, runDir } from "./paths";
import { forgetHosts } from "./runner/state";
import type { LabPlan } from "./plan";
import { installPrerequisites } from "./prereqs";
import { LAB_SUITE, ensureAptArchive, ensureBaseRootfs, prepareHost } from "./rootfs";
import { ensureLabKey, sshRun, type PinnedHostKey } from "./ssh";
import { sshAnswers } from "./status";

export interface LabUpOptions {
  /** Progress lines. Defaults to none. */
  readonly log?: (line: string) => void;
  /** Seconds each host may take from start to sshd answering. Defaults to 120. */
  readonly bootTimeoutSeconds?: number;
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
  /** The lab was running already; nothing was changed. */
  readonly alreadyUp: boolean;
  readonly hosts: readonly LabUpHost[];
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

/** Bring the plan's lab up (the caller holds the lab lock). */
export async function bringUp(plan: LabPlan, options: LabUpOptions = {}): Promise<LabUpResult> {
  const log = options.log ?? ((): void => undefined);
  const t0 = Date.now();
  installPrerequisites(log);
  const prerequisites = since(t0);

  const running = new Map<string, number>();
  for (const h of plan.hosts) {
    const pid = runningPid(h.name);
    if (pid !== undefined) running.set(h.name, pid);
  }
  // A host that runs but does not answer is restarted like one that is gone.
  const answering = await Promise.all(plan.hosts.map(async (h) => running.has(h.name) && (await sshAnswers(h.address))));
  const keep = new Set(plan.hosts.filter((_, i) => answering[i]).map((h) => h.name));
  if (keep.size === plan.hosts.length) {
    ensureNetworkFor(plan, log, await mirrorAddresses());
    return {
      alreadyUp: true,
      hosts: plan.hosts.map((h) => ({ ...h, pid: running.get(h.name) ?? 0, seconds: 0, started: false })),
      timings: { prerequisites, cleanup: 0, rootfs: 0, rootfsBuilt: false, prepare: 0, network: 0, boot: 0, golden: 0, total: since(t0) },
    };
  }

  const t1 = Date.now();
  const toStart = plan.hosts.filter((h) => !keep.has(h.name));
  if (keep.size === 0) {
    const cleaned = teardownLab(plan.hosts.map((h) => h.name), plan.bridge, log);
    if (cleaned.removed.length > 0) log(`cleaned leftovers of an earlier lab: ${summariseRemoved(cleaned.removed).join(", ")}`);
  } else {
    for (const h of toStart) cleanHost(h.name, log);
  }
  const forgotten = forgetHosts(labStatePath(), toStart.map((h) => h.address));
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
    toStart.map(async (host) => {
      const customisation = renderHostCustomisation({ plan, host, mirror, mirrorNames, authorizedKey, suite: LAB_SUITE });
      const overlay = path.join(runDir(), `${host.name}.overlay`);
      const changes = await prepareHost(base.path, hostRootfsPath(host.name), overlay, customisation);
      log(`${host.name}: root file system ready (${changes.length} changes)`);
    }),
  );
  const prepare = since(t3);

  const t4 = Date.now();
  ensureNetworkFor(plan, log, mirrorNames.flatMap((n) => n.addresses));
  const network = since(t4);

  const t5 = Date.now();
  const booting = toStart.map((h) => ({ name: h.name, address: h.address, startedAt: Date.now(), pid: startHost(h.name, plan.bridge) }));
  log(`started ${booting.map((b) => `${b.name} (pid ${b.pid})`).join(", ")}; waiting for sshd`);
  const ready = await waitForHosts(booting, pinnedKeysOf(plan, keep), options.bootTimeoutSeconds ?? 120);
  const boot = since(t5);

  const t6 = Date.now();
  await makeGoldenImages(plan, log);
  const golden = since(t6);

  const seconds = new Map(ready.map((r) => [r.name, r.seconds]));
  const pids = new Map<string, number>([...running, ...booting.map((b) => [b.name, b.pid] as const)]);
  return {
    alreadyUp: false,
    hosts: plan.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      roles: h.roles,
      pid: pids.get(h.name) ?? 0,
      seconds: Math.round((seconds.get(h.name) ?? 0) * 10) / 10,
      started: !keep.has(h.name),
    })),
    timings: { prerequisites, cleanup, rootfs, rootfsBuilt: base.built, prepare, network, boot, golden, total: since(t0) },
  };
}

/**
 * The stack's golden image on each VM host (a small busybox disk and the host's kernel for direct boot;
 * scripts/lab/golden-image.sh), made once: `apply` imports it into Ceph.
 */
async function makeGoldenImages(plan: LabPlan, log: (line: string) => void): Promise<void> {
  const golden = plan.goldenImage;
  if (golden === undefined) return;
  const script = readFileSync(labScriptPath("golden-image.sh"), "utf8");
  for (const host of plan.hosts.filter((h) => h.roles.includes("vm-host"))) {
    const r = await sshRun(host.address, ["bash", "-c", script, "golden-image.sh", golden.image, golden.kernel, golden.initrd, String(golden.size)], 600_000);
    if (r.status !== 0) throw new Error(`making the golden image on ${host.name} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    log(`${host.name}: ${r.stdout.trim().split("\n").pop() ?? ""}`);
  }
}

async function mirrorAddresses(): Promise<string[]> {
  return (await resolveMirror(localDebianMirror())).flatMap((n) => n.addresses);
}

function ensureNetworkFor(plan: LabPlan, log: (line: string) => void, addresses: readonly string[]): void {
  for (const change of ensureNetwork(plan, addresses)) log(change);
}

/** The keys of hosts that keep running, so the rewritten known_hosts still pins them. */
function pinnedKeysOf(plan: LabPlan, keep: ReadonlySet<string>): PinnedHostKey[] {
  return plan.hosts
    .filter((h) => keep.has(h.name) && existsSync(hostKeyPath(h.name)))
    .map((h) => ({ name: h.name, address: h.address, key: keyOf(readFileSync(hostKeyPath(h.name), "utf8")) }));
}

/** Remove what is left of one host that is not running, so that it starts from a fresh copy. */
function cleanHost(host: string, log: (line: string) => void): void {
  const killed = killLabProcesses(host);
  const cgroups = removeLabCgroups(host);
  removeNspawnRuntime([host]);
  removeTree(hostRootfsPath(host));
  removeTree(`${hostRootfsPath(host)}.partial`);
  rmSync(pidFilePath(host), { force: true });
  if (killed.length > 0 || cgroups.length > 0) log(`${host}: cleaned leftovers (${killed.length} processes, ${cgroups.length} cgroups)`);
}
