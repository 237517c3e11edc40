/**
 * Who owns a container host's GPUs. On a host that is both slurm-compute and container-host, Slurm jobs and
 * ie-podman containers would share the GPUs; there `ie-podman run --gpu` takes them from a Slurm allocation
 * in the caller's name, so Slurm is the one owner ("GPUs from Slurm"). Elsewhere ie-podman hands them out
 * from its own ledger. Pure: the validator prints the mode of each host, the containers renderer writes it
 * into ie-podman's configuration, and the rules below check its settings.
 */
import { error, warning, type Diagnostic } from "./diagnostics";
import type { HostSpec, Inventory, PartitionSpec } from "./model";
import { formatSeconds, hasRole, indexedHostsWithRole, listNames } from "./semantic-util";

/** A GPU container's allocation when containers.gpuMaxTime is not set (or the partition's maxTime when shorter). */
export const DEFAULT_GPU_MAX_TIME_SECONDS = 86_400;

export type ContainerGpuMode =
  | { readonly kind: "no-gpus" }
  | { readonly kind: "ledger" }
  | {
      readonly kind: "slurm";
      /** The host's Slurm node name (its inventory name). */
      readonly node: string;
      readonly partition: string;
      /** The GRES type of its GPUs. */
      readonly gresType: string;
      readonly maxTimeSeconds: number;
    };

/** Whether Slurm owns this host's GPUs: it runs slurmd and ie-podman, and has GPUs, in a stack with both sections. */
export function slurmOwnsGpus(inv: Inventory, host: HostSpec): boolean {
  return host.gpus !== undefined && inv.slurm !== undefined && inv.containers !== undefined && hasRole(host, "slurm-compute") && hasRole(host, "container-host");
}

/** The partition GPU containers allocate in: containers.gpuPartition, else the default partition. */
export function gpuPartition(inv: Inventory): { readonly partition: PartitionSpec; readonly index: number } | undefined {
  const partitions = inv.slurm?.partitions ?? [];
  const wanted = inv.containers?.gpuPartition;
  const index = partitions.findIndex((p) => (wanted !== undefined ? p.name === wanted : p.default));
  return index >= 0 ? { partition: partitions[index], index } : undefined;
}

/** A GPU container's longest allocation: gpuMaxTime, else 1d or the partition's maxTime when shorter. */
export function gpuMaxTime(inv: Inventory, partition: PartitionSpec): number {
  return inv.containers?.gpuMaxTime ?? Math.min(DEFAULT_GPU_MAX_TIME_SECONDS, partition.maxTime ?? Infinity);
}

/** The GPU mode of a container host (of a valid inventory; throws when Slurm mode has no partition). */
export function containerGpuMode(inv: Inventory, host: HostSpec): ContainerGpuMode {
  if (host.gpus === undefined) return { kind: "no-gpus" };
  if (!slurmOwnsGpus(inv, host)) return { kind: "ledger" };
  const found = gpuPartition(inv);
  if (found === undefined) throw new Error(`${host.name}: no partition for GPU containers (containers.gpuPartition or a default partition)`);
  return { kind: "slurm", node: host.name, partition: found.partition.name, gresType: host.gpus.type, maxTimeSeconds: gpuMaxTime(inv, found.partition) };
}

/** The mode as the validator prints it. */
export function gpuModeText(mode: ContainerGpuMode): string {
  switch (mode.kind) {
    case "no-gpus":
      return "no GPUs";
    case "ledger":
      return "GPUs from ie-podman's own ledger";
    case "slurm":
      return `GPUs from Slurm (partition ${mode.partition}, at most ${formatSeconds(mode.maxTimeSeconds)})`;
    default: {
      const never: never = mode;
      return never;
    }
  }
}

/** `host: mode` for every container host, in inventory order. */
export function containerGpuModes(inv: Inventory): string[] {
  return indexedHostsWithRole(inv, "container-host").map(({ host }) => `${host.name}: ${gpuModeText(containerGpuMode(inv, host))}`);
}

/**
 * containers.gpuPartition and gpuMaxTime: the partition exists and holds every host whose GPUs Slurm owns, and
 * gpuMaxTime fits in its maxTime. Set where no host's GPUs come from Slurm, they do nothing: a warning.
 */
export function checkGpuMode(inv: Inventory): Diagnostic[] {
  const containers = inv.containers;
  if (containers === undefined) return [];
  const hosts = indexedHostsWithRole(inv, "container-host").filter(({ host }) => slurmOwnsGpus(inv, host));
  const settings = (["gpuPartition", "gpuMaxTime"] as const).filter((key) => containers[key] !== undefined);
  if (hosts.length === 0) {
    return settings.map((key) => warning(["containers", key], `no container host is also a Slurm compute node with GPUs: ${key} does nothing; remove it`));
  }
  const names = listNames(hosts.map(({ host }) => host.name));
  const found = gpuPartition(inv);
  if (found === undefined) {
    return containers.gpuPartition !== undefined
      ? [error(["containers", "gpuPartition"], `no partition is named '${containers.gpuPartition}': name one of slurm.partitions`)]
      : [error(["containers"], `the GPUs of ${names} come from Slurm, but there is no default partition: set containers.gpuPartition or make a partition the default`)];
  }
  const { partition, index } = found;
  const out: Diagnostic[] = [];
  const outside = hosts.filter(({ host }) => !partition.nodes.includes(host.name)).map(({ host }) => host.name);
  if (outside.length > 0) {
    const where = containers.gpuPartition !== undefined ? ["containers", "gpuPartition"] : ["slurm", "partitions", index, "nodes"];
    out.push(
      error(
        where,
        `partition ${partition.name} (GPU containers allocate there) does not contain ${listNames(outside)}, whose GPUs come from Slurm: add ${outside.length === 1 ? "it" : "them"} to the partition or set containers.gpuPartition to one that does`,
      ),
    );
  }
  if (containers.gpuMaxTime !== undefined && partition.maxTime !== undefined && containers.gpuMaxTime > partition.maxTime) {
    out.push(
      error(
        ["containers", "gpuMaxTime"],
        `${formatSeconds(containers.gpuMaxTime)} is longer than partition ${partition.name}'s maxTime (${formatSeconds(partition.maxTime)}): make it at most that`,
      ),
    );
  }
  return out;
}
