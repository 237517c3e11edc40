/**
 * Who is who in the Slurm cluster: the controller, the compute nodes and the Slurm section of the
 * inventory, picked out of the validated model once so that every renderer reads the same picture.
 * Pure: no Pulumi, no I/O.
 */
import type { HostSpec, Inventory, SlurmSpec } from "../inventory/model";
import { hostsWithRole } from "../inventory/model";
import { toMiB } from "../inventory/units";

export interface SlurmLayout {
  /** The host running slurmctld. */
  readonly controller: HostSpec;
  /** Hosts running slurmd, in inventory order (the order of the node lines). */
  readonly computeNodes: readonly HostSpec[];
  /** The `slurm:` section of the inventory. */
  readonly spec: SlurmSpec;
}

/**
 * The Slurm cluster of an inventory. Throws, naming what is missing, when the inventory has no `slurm:`
 * section, no or several `slurm-controller` hosts, no `slurm-compute` host, or a partition naming a host
 * that is not a compute node: no valid slurm.conf exists for such an inventory.
 */
export function slurmLayout(inv: Inventory): SlurmLayout {
  const spec = inv.slurm;
  if (spec === undefined) {
    throw new Error("the inventory has no slurm: section; add one (clusterName, partitions) to build a Slurm cluster");
  }
  const controllers = hostsWithRole(inv, "slurm-controller");
  if (controllers.length === 0) {
    throw new Error("slurm: no host has the role slurm-controller; give exactly one host that role");
  }
  if (controllers.length > 1) {
    // Backup controllers need a StateSaveLocation shared between them, which this system does not set up.
    const names = controllers.map((h) => h.name).join(", ");
    throw new Error(`slurm: several hosts have the role slurm-controller (${names}); keep it on exactly one host`);
  }
  const computeNodes = hostsWithRole(inv, "slurm-compute");
  if (computeNodes.length === 0) {
    throw new Error("slurm: no host has the role slurm-compute; jobs need at least one compute node");
  }
  const known = new Set(computeNodes.map((h) => h.name));
  for (const partition of spec.partitions) {
    const unknown = partition.nodes.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new Error(
        `slurm: partition '${partition.name}' lists ${unknown.join(", ")}, which ` +
          `${unknown.length === 1 ? "is not a host" : "are not hosts"} with the role slurm-compute`,
      );
    }
  }
  return { controller: controllers[0], computeNodes, spec };
}

/** Memory left to the operating system, never handed to jobs: at least this many MiB... */
export const OS_MEMORY_RESERVE_MIN_MIB = 1024;
/** ...or this share of the host's memory, whichever is larger. */
export const OS_MEMORY_RESERVE_SHARE = 0.05;

/**
 * The RealMemory (MiB) a node line declares: the host's memory minus a reserve for the OS.
 *
 * Why a reserve: slurmd reports the kernel's MemTotal, which is 1-3 % below the installed memory (firmware
 * and kernel reservations); a node declaring more than slurmd reports is drained ("Low RealMemory"). The
 * rest of the reserve keeps the OS, sshd, munge, slurmd and Podman alive when jobs use all they asked for
 * (ConstrainRAMSpace caps jobs at RealMemory in total, not at the host's size).
 */
export function realMemoryMiB(host: HostSpec): number {
  const total = toMiB(host.memory);
  const reserve = Math.max(OS_MEMORY_RESERVE_MIN_MIB, Math.ceil(total * OS_MEMORY_RESERVE_SHARE));
  return Math.max(1, total - reserve);
}
