/**
 * Restarting one lab host as a server reboots: a clean halt (SIGTERM to nspawn, its systemd shuts down),
 * then a boot of the same root file system, so everything the stack put there must come back by itself.
 * Unlike `up`, which makes a host that is not running anew from the base, nothing is removed.
 */
import { existsSync, readFileSync } from "node:fs";
import { keyOf, waitForHosts } from "./boot-wait";
import { startHost, stopHosts, type StopOutcome } from "./machines";
import { hostKeyPath, hostRootfsPath } from "./paths";
import type { LabPlan } from "./plan";
import type { PinnedHostKey } from "./ssh";

export interface RestartResult {
  readonly host: string;
  readonly halt: StopOutcome;
  readonly pid: number;
  /** Seconds from the start of nspawn to sshd answering. */
  readonly bootSeconds: number;
}

export async function restartHost(plan: LabPlan, name: string, bootTimeoutSeconds = 120): Promise<RestartResult> {
  const host = plan.hosts.find((h) => h.name === name);
  if (host === undefined) throw new Error(`no lab host '${name}': the lab has ${plan.hosts.map((h) => h.name).join(", ")}`);
  if (!existsSync(hostRootfsPath(name))) throw new Error(`${name} has no root file system: run 'npm run lab -- up' first`);
  const halt = stopHosts([name]).get(name) ?? "not running";
  const pinned: PinnedHostKey[] = plan.hosts
    .filter((h) => h.name !== name && existsSync(hostKeyPath(h.name)))
    .map((h) => ({ name: h.name, address: h.address, key: keyOf(readFileSync(hostKeyPath(h.name), "utf8")) }));
  const startedAt = Date.now();
  const pid = startHost(name, plan.bridge);
  const [ready] = await waitForHosts([{ name, address: host.address, startedAt, pid }], pinned, bootTimeoutSeconds);
  return { host: name, halt, pid, bootSeconds: ready?.seconds ?? (Date.now() - startedAt) / 1000 };
}
