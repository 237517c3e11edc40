/**
 * Who is who in VM rental: the VM hosts, each rental with the defaults applied, its disk's name and the
 * identifiers derived from its name (domain UUID, MAC address). Pure: no Pulumi, no I/O.
 */
import { createHash } from "node:crypto";
import { uuidFromHex } from "../ceph/keys";
import { hostsWithRole, resolveRental, type HostSpec, type Inventory, type ResolvedRental, type VmsSpec } from "../inventory/model";
import { firstHostAddress, parseNetwork } from "../inventory/net";

/** The snapshot of the golden image that rentals are cloned from. */
export const GOLDEN_SNAPSHOT = "golden";
/** The Ceph user VM hosts use for RBD. */
export const LIBVIRT_CEPH_USER = "libvirt";

export interface RentalLayout extends ResolvedRental {
  /** libvirt domain name. */
  readonly domain: string;
  /** RBD image of its disk, in the VM pool. */
  readonly image: string;
  readonly uuid: string;
  readonly mac: string;
  /** The VM network's prefix length and gateway, for the guest's static address. */
  readonly prefix: number;
  readonly gateway: string;
}

export interface VmLayout {
  readonly spec: VmsSpec;
  readonly vmHosts: readonly HostSpec[];
  readonly rentals: readonly RentalLayout[];
  /** UUID of the libvirt secret that holds client.libvirt's key (the same on every VM host). */
  readonly secretUuid: string;
  /** The VM network's gateway and prefix length (the bridge's address when `gatewayOnHost`). */
  readonly gateway: string;
  readonly prefix: number;
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/** A stable UUID for a name (the same on every apply, so `virsh define` updates rather than duplicates). */
export function uuidFor(name: string): string {
  return uuidFromHex(digest(name).slice(0, 32));
}

/** A stable locally administered MAC in QEMU's 52:54:00 range. */
export function macFor(name: string): string {
  const h = digest(`mac:${name}`);
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

export function vmLayout(inv: Inventory): VmLayout {
  const spec = inv.vms;
  if (spec === undefined) throw new Error("the inventory has no vms: section; add one (network, pool, goldenImage) for VM rental");
  const prefix = parseNetwork(spec.network).prefix;
  const gateway = spec.gateway ?? firstHostAddress(spec.network);
  return {
    spec,
    vmHosts: hostsWithRole(inv, "vm-host"),
    secretUuid: uuidFor(`libvirt-secret:client.${LIBVIRT_CEPH_USER}`),
    gateway,
    prefix,
    rentals: spec.rentals.map((r) => ({
      ...resolveRental(spec, r),
      domain: `rental-${r.name}`,
      image: `rental-${r.name}`,
      uuid: uuidFor(`rental:${r.name}`),
      mac: macFor(r.name),
      prefix,
      gateway,
    })),
  };
}
