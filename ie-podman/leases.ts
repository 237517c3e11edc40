/**
 * The ledger of what ie-podman has handed out: an address of the pool and GPUs per container. Pure: the
 * ledger is plain data that the CLI reads and writes under a file lock; here only the decisions. Any CIDR
 * works (a /22 has 1021 addresses for containers): the network address, the broadcast address and the
 * gateway (the pool's first host address, which Podman's bridge takes) are never handed out.
 */
import { addressAt, firstHostAddress, parseNetwork } from "../components/inventory/net";

export interface Lease {
  /** The container's id (Podman's). */
  readonly container: string;
  /** The owner's uid. */
  readonly uid: number;
  readonly ip?: string;
  readonly gpus: readonly number[];
  /** When the lease was taken (ISO 8601). */
  readonly since: string;
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
  const gateway = firstHostAddress(poolCidr);
  const taken = new Set(ledger.leases.flatMap((l) => (l.ip !== undefined ? [l.ip] : [])));
  for (let offset = 1; offset < pool.size - 1; offset++) {
    const address = addressAt(poolCidr, offset);
    if (address !== gateway && !taken.has(address)) return address;
  }
  throw new ExhaustedError(`every address of ${poolCidr} is taken (${taken.size} containers hold one): remove stopped containers with ie-podman rm`);
}

/** `count` free GPUs of the host's `total`, lowest first. */
export function freeGpus(ledger: Ledger, total: number, count: number): number[] {
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
