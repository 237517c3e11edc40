/**
 * Restarting one lab host as a server reboots: a clean halt (SIGTERM to nspawn, its systemd shuts down),
 * then a boot of the same root file system, so everything the stack put there must come back by itself.
 * Unlike `up`, which makes a host that is not running anew from the base, nothing is removed.
 */
import { existsSync } from "node:fs";
import { waitForHosts } from "./boot-wait";
import { startHost, stopHosts, type StopOutcome } from "./machines";
import { hostRootfsPath } from "./paths";
import type { LabHostSpec } from "./plan";
import { keyFilePath, pinnedKeysOf } from "./registry";

export interface RestartResult {
  readonly host: string;
  readonly halt: StopOutcome;
  readonly pid: number;
  /** Seconds from the start of nspawn to sshd answering. */
  readonly bootSeconds: number;
}

/** Restart `host`; `others` are the lab's other running hosts, whose keys stay pinned. */
export async function restartHost(host: LabHostSpec, others: readonly LabHostSpec[], bridge: string, bootTimeoutSeconds = 120): Promise<RestartResult> {
  const { name } = host;
  if (!existsSync(hostRootfsPath(name))) throw new Error(`${name} has no root file system: run 'npm run lab -- up' first`);
  const halt = stopHosts([name]).get(name) ?? "not running";
  const pinned = pinnedKeysOf(others.filter((h) => h.name !== name));
  const startedAt = Date.now();
  const pid = startHost(name, bridge);
  const [ready] = await waitForHosts([{ name, address: host.address, keyFile: keyFilePath(host), startedAt, pid }], pinned, bootTimeoutSeconds);
  return { host: name, halt, pid, bootSeconds: ready?.seconds ?? (Date.now() - startedAt) / 1000 };
}
