/**
 * The validated model: plain, readonly data that every renderer and component reads. Sizes are bytes,
 * durations seconds, defaults filled in. Produced only by `loadInventory` (schema + semantic checks).
 */
import type { z } from "zod";
import type { Role, inventorySchema } from "./schema";

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Inventory = DeepReadonly<z.output<typeof inventorySchema>>;
export type HostSpec = Inventory["hosts"][number];
export type GpuSpec = NonNullable<HostSpec["gpus"]>;
export type OsdSpec = HostSpec["osds"][number];
export type UserSpec = Inventory["users"][number];
export type CephSpec = NonNullable<Inventory["ceph"]>;
export type PoolSpec = CephSpec["pools"][number];
export type SlurmSpec = NonNullable<Inventory["slurm"]>;
export type PartitionSpec = SlurmSpec["partitions"][number];
export type VmsSpec = NonNullable<Inventory["vms"]>;
export type RentalSpec = VmsSpec["rentals"][number];
export type ContainersSpec = NonNullable<Inventory["containers"]>;

export type { Role, OperatingSystem } from "./schema";

/** Hosts carrying a role, in inventory order. */
export function hostsWithRole(inventory: Inventory, role: Role): readonly HostSpec[] {
  return inventory.hosts.filter((h) => h.roles.includes(role));
}

/** A host being emptied for the yearly refresh (`drain: true`): it stays in the stack but serves nothing new. */
export function isDraining(host: HostSpec): boolean {
  return host.drain;
}

/** Hosts carrying a role that keep serving it: every one but those that drain, in inventory order. */
export function servingHosts(inventory: Inventory, role: Role): readonly HostSpec[] {
  return hostsWithRole(inventory, role).filter((h) => !isDraining(h));
}

/** A rental with the VM defaults applied. */
export interface ResolvedRental extends RentalSpec {
  readonly vcpus: number;
  readonly memory: number;
  readonly disk: number;
}

export function resolveRental(vms: VmsSpec, rental: RentalSpec): ResolvedRental {
  return {
    ...rental,
    vcpus: rental.vcpus ?? vms.defaults.vcpus,
    memory: rental.memory ?? vms.defaults.memory,
    disk: rental.disk ?? vms.defaults.disk,
  };
}
