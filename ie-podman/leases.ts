/**
 * The ledger of what ie-podman has handed out: an address of the pool and GPUs per container. Pure: the
 * ledger is plain data that the CLI reads and writes under a file lock; here only the decisions. Any CIDR
 * works (a /22 has 1021 addresses for containers): the network address, the broadcast address and the
 * gateway (the pool's first host address, which Podman's bridge takes) are never handed out.
 */
import { addressToNumber, firstHostAddress, numberToAddress, parseNetwork } from "../components/inventory/net";

export interface Lease {
  /** The container's id (Podman's). */
  readonly container: string;
  /** The owner's uid. */
  readonly uid: number;
  readonly ip?: string;
  readonly gpus: readonly number[];
  /** When the lease was taken (ISO 8601). */
  readonly since: string;
  /**
   * Since when (unix seconds) the container has been stopped, as ie-podman first saw it stopped; absent
   * while it runs. The reaper judges by this time (an admin may edit it in the ledger).
   */
  readonly stoppedAt?: number;
  /**
   * On a host whose GPUs Slurm owns: the Slurm job (an allocation in the owner's name) that holds `gpus`.
   * Recorded only after Slurm, asked by root, confirmed the job is the owner's; only such ids are cancelled.
   */
  readonly job?: string;
  /** Why the job's allocation ended (its time limit, an admin's scancel, the container stopped); absent while it holds the GPUs. */
  readonly ended?: string;
}

/** Whether the lease holds a Slurm allocation that has not ended: its GPUs are Slurm's until it does. */
export function holdsAllocation(lease: Lease): lease is Lease & { readonly job: string } {
  return lease.job !== undefined && lease.ended === undefined;
}

export interface Ledger {
  readonly version: 1;
  readonly leases: readonly Lease[];
}

export const EMPTY_LEDGER: Ledger = { version: 1, leases: [] };

/** Thrown when the pool or the GPUs are all taken: says how many there are and who holds them. */
export class ExhaustedError extends Error {}

/** The lowest free address of the pool. */
export function freeAddress(ledger: Ledger, poolCidr: string): string {
  const pool = parseNetwork(poolCidr);
  const gateway = addressToNumber(firstHostAddress(poolCidr));
  const taken = new Set(ledger.leases.flatMap((l) => (l.ip !== undefined ? [addressToNumber(l.ip)] : [])));
  for (let n = pool.first + 1; n < pool.last; n++) {
    if (n !== gateway && !taken.has(n)) return numberToAddress(n);
  }
  throw new ExhaustedError(`every address of ${poolCidr} is taken (${taken.size} containers hold one): remove stopped containers with ie-podman rm`);
}

/** `count` free GPUs of the host's `total`, lowest first. */
export function freeGpus(ledger: Ledger, total: number, count: number): number[] {
  if (total === 0) throw new ExhaustedError("this host has no GPUs: run GPU containers on a GPU host");
  const taken = new Set(ledger.leases.flatMap((l) => l.gpus));
  const free = Array.from({ length: total }, (_, i) => i).filter((g) => !taken.has(g));
  if (free.length < count) {
    throw new ExhaustedError(`${count} GPU${count === 1 ? "" : "s"} asked for, ${free.length} of ${total} free: try again when a GPU container is removed`);
  }
  return free.slice(0, count);
}

/** The ledger with a new lease. */
export function withLease(ledger: Ledger, lease: Lease): Ledger {
  if (ledger.leases.some((l) => l.container === lease.container)) throw new Error(`container ${lease.container} already holds a lease`);
  return { ...ledger, leases: [...ledger.leases, lease] };
}

/** The ledger without the leases of containers that no longer exist (removed by ie-podman or anyone). */
export function withoutContainers(ledger: Ledger, gone: ReadonlySet<string>): Ledger {
  return { ...ledger, leases: ledger.leases.filter((l) => !gone.has(l.container)) };
}

/** The states in which a container is not stopped. */
export const LIVE_STATES: ReadonlySet<string> = new Set(["running", "paused", "stopping"]);

/** What the ledger needs of a container Podman reports. */
export interface ContainerState {
  readonly Id: string;
  readonly State: string;
  /** Unix seconds; 0 or absent while it never exited. */
  readonly ExitedAt?: number;
}

/**
 * When Podman saw the container exit, in unix seconds; undefined when it did not time it (no exit yet, or
 * Go's zero time, negative, for a container gone in an instant).
 */
export function exitTime(c: ContainerState): number | undefined {
  return c.ExitedAt !== undefined && c.ExitedAt > 0 ? c.ExitedAt : undefined;
}

/**
 * The ledger brought up to date with the containers Podman has: leases of vanished containers dropped (but
 * for those still holding a Slurm allocation, see holdsAllocation),
 * a stop time recorded for each newly seen stopped container (Podman's exit time when it has one, else
 * `now`), and cleared for each one running again. A recorded stop time is kept while the container stays
 * stopped.
 */
export function reconcile(ledger: Ledger, containers: readonly ContainerState[], now: number): Ledger {
  const byId = new Map(containers.map((c) => [c.Id, c]));
  const leases: Lease[] = [];
  for (const lease of ledger.leases) {
    const c = byId.get(lease.container);
    // A vanished container's lease goes, unless its allocation has not ended: sync ends it, then drops the lease.
    if (c === undefined) {
      if (holdsAllocation(lease)) leases.push(lease.stoppedAt !== undefined ? lease : { ...lease, stoppedAt: now });
      continue;
    }
    if (LIVE_STATES.has(c.State)) {
      const { stoppedAt: _, ...running } = lease;
      leases.push(running);
    } else {
      leases.push(lease.stoppedAt !== undefined ? lease : { ...lease, stoppedAt: exitTime(c) ?? now });
    }
  }
  return { ...ledger, leases };
}

/** Leases whose containers have been stopped longer than `maxSeconds` at `now`: what the reaper removes. */
export function leasesToReap(ledger: Ledger, now: number, maxSeconds: number): Lease[] {
  return ledger.leases.filter((l) => l.stoppedAt !== undefined && now - l.stoppedAt > maxSeconds);
}
