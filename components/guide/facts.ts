/**
 * What the users' guide says about this department, picked out of the validated inventory once: the hosts
 * users log in to, where the home lives, the Slurm partitions and GPUs, ie-podman's rules, the rental
 * defaults and who to ask. Pure: no Pulumi, no I/O. Every renderer of the guide reads only this.
 */
import { REFUSED } from "../../ie-podman/policy";
import { sifName } from "../../ie-podman/verbs/images";
import { containerGpuMode } from "../inventory/gpu-mode";
import type { HostSpec, Inventory, Role } from "../inventory/model";
import { hostsWithRole, servingHosts } from "../inventory/model";

/** Who the guide names when the stack's `site.contact` is absent. */
export const DEFAULT_CONTACT = { en: "your course's teaching staff", ja: "授業の担当教員・TA" } as const;

/** The roles of hosts users log in to: where the guide, ie-help and the login message are installed. */
export const LOGIN_ROLES: readonly Role[] = ["slurm-controller", "slurm-compute", "container-host"];

export interface PartitionFacts {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly default: boolean;
  /** Seconds; absent: unlimited. */
  readonly maxTime?: number;
  /** Seconds; absent: the maximum. */
  readonly defaultTime?: number;
}

export interface GpuFacts {
  readonly type: string;
  /** GPUs of this type per node. */
  readonly count: number;
  readonly nodes: readonly string[];
}

/** One refused option class of `ie-podman run`: the reason, and every option refused for it. */
export interface RefusedClass {
  readonly reason: string;
  readonly options: readonly string[];
}

export interface SlurmFacts {
  readonly controller: string;
  readonly partitions: readonly PartitionFacts[];
  readonly gpus: readonly GpuFacts[];
  /** The partition and GPU type the guide's batch file uses: the default partition and its first GPU type. */
  readonly example: { readonly partition: string; readonly gpuType?: string; readonly time: number; readonly cpus: number };
}

export interface ContainerFacts {
  readonly hosts: readonly string[];
  readonly pool: string;
  readonly storagePath: string;
  readonly reapAfterDays: number;
  readonly caps: { readonly containers: number; readonly addresses: number; readonly gpus: number };
  /** Bytes (memory, shm) and counts (cpus, pids): default and ceiling per container. */
  readonly limits: { readonly [K in "memory" | "cpus" | "pids" | "shm"]: { readonly default: number; readonly max: number } };
  readonly refused: readonly RefusedClass[];
  /** Whether Apptainer's `singularity` is on the container hosts (always, with a containers section). */
  readonly apptainer: boolean;
  /** Container hosts whose GPUs come from Slurm (gpu-mode.ts), the partition and the longest allocation in seconds. Absent when none. */
  readonly slurmGpus?: { readonly hosts: readonly string[]; readonly partition: string; readonly maxTimeSeconds: number };
}

export interface VmFacts {
  readonly hosts: readonly string[];
  readonly network: string;
  readonly defaults: { readonly vcpus: number; readonly memory: number; readonly disk: number };
}

export interface GuideFacts {
  /** Hosts users log in to (LOGIN_ROLES), in inventory order. */
  readonly loginHosts: readonly string[];
  /** The CephFS home: its mount point and the hosts that mount it. Absent without CephFS. */
  readonly home?: { readonly mountPoint: string; readonly hosts: readonly string[] };
  readonly slurm?: SlurmFacts;
  readonly containers?: ContainerFacts;
  readonly vms?: VmFacts;
  /** `site.contact`, or undefined for the documented default. */
  readonly contact?: string;
  readonly exampleImage: string;
  /** The SIF file `ie-podman sif` writes for the example image. */
  readonly exampleSif: string;
  /** Per user: their rental VMs (name, address), for the login message. */
  readonly rentalsByOwner: Readonly<Record<string, readonly { readonly name: string; readonly ip: string }[]>>;
}

const names = (hosts: readonly HostSpec[]) => hosts.map((h) => h.name);

/** ie-podman's refused options grouped by their reason, in the policy's order: one line of the guide each. */
export function refusedClasses(refused: Readonly<Record<string, string>> = REFUSED): RefusedClass[] {
  const byReason = new Map<string, string[]>();
  for (const [option, reason] of Object.entries(refused)) byReason.set(reason, [...(byReason.get(reason) ?? []), `--${option}`]);
  return [...byReason].map(([reason, options]) => ({ reason, options }));
}

function slurmFacts(inv: Inventory): SlurmFacts | undefined {
  const spec = inv.slurm;
  const controller = hostsWithRole(inv, "slurm-controller")[0];
  if (spec === undefined || controller === undefined) return undefined;
  const byName = new Map(inv.hosts.map((h) => [h.name, h]));
  const gpuNodes = new Map<string, { count: number; nodes: string[] }>();
  for (const host of servingHosts(inv, "slurm-compute")) {
    if (host.gpus === undefined) continue;
    const key = `${host.gpus.type}:${host.gpus.count}`;
    const entry = gpuNodes.get(key) ?? { count: host.gpus.count, nodes: [] };
    entry.nodes.push(host.name);
    gpuNodes.set(key, entry);
  }
  const gpus = [...gpuNodes].map(([key, e]) => ({ type: key.slice(0, key.lastIndexOf(":")), count: e.count, nodes: e.nodes }));
  const partitions = spec.partitions.map((p) => ({
    name: p.name,
    nodes: p.nodes,
    default: p.default,
    ...(p.maxTime !== undefined ? { maxTime: p.maxTime } : {}),
    ...(p.defaultTime !== undefined ? { defaultTime: p.defaultTime } : {}),
  }));
  const chosen = partitions.find((p) => p.default) ?? partitions[0];
  const nodes = chosen.nodes.flatMap((n) => byName.get(n) ?? []);
  const gpuType = nodes.find((h) => h.gpus !== undefined)?.gpus?.type;
  // The report's batch file asks for one hour and 8 CPUs; no more than the partition gives.
  const time = Math.min(3600, chosen.maxTime ?? 3600);
  const cpus = Math.min(8, ...nodes.map((h) => h.cpus ?? 8));
  return { controller: controller.name, partitions, gpus, example: { partition: chosen.name, ...(gpuType !== undefined ? { gpuType } : {}), time, cpus } };
}

function containerFacts(inv: Inventory): ContainerFacts | undefined {
  const spec = inv.containers;
  if (spec === undefined) return undefined;
  const l = spec.limits;
  return {
    hosts: names(servingHosts(inv, "container-host")),
    pool: spec.ipPool,
    storagePath: spec.storagePath,
    reapAfterDays: spec.reapAfter / 86400,
    caps: { containers: spec.maxContainersPerUser, addresses: spec.maxAddressesPerUser, gpus: spec.maxGpusPerUser },
    limits: { memory: l.memory, cpus: l.cpus, pids: l.pids, shm: l.shm },
    refused: refusedClasses(),
    apptainer: true,
    ...slurmGpuFacts(inv),
  };
}

function slurmGpuFacts(inv: Inventory): Pick<ContainerFacts, "slurmGpus"> {
  const modes = servingHosts(inv, "container-host").map((h) => containerGpuMode(inv, h));
  const slurm = modes.flatMap((m) => (m.kind === "slurm" ? [m] : []));
  if (slurm.length === 0) return {};
  return { slurmGpus: { hosts: slurm.map((m) => m.node), partition: slurm[0].partition, maxTimeSeconds: slurm[0].maxTimeSeconds } };
}

export function guideFacts(inv: Inventory): GuideFacts {
  const loginHosts = inv.hosts.filter((h) => h.roles.some((r) => LOGIN_ROLES.includes(r)));
  const fs = inv.ceph?.cephfs;
  // The CephFS clients, as the Ceph layout mounts it: compute and container hosts.
  const homeHosts = inv.hosts.filter((h) => h.roles.includes("slurm-compute") || h.roles.includes("container-host"));
  const rentalsByOwner: Record<string, { name: string; ip: string }[]> = {};
  for (const r of inv.vms?.rentals ?? []) (rentalsByOwner[r.owner] ??= []).push({ name: r.name, ip: r.ip });
  const slurm = slurmFacts(inv);
  const containers = containerFacts(inv);
  return {
    loginHosts: names(loginHosts),
    ...(fs !== undefined ? { home: { mountPoint: fs.mountPoint, hosts: names(homeHosts) } } : {}),
    ...(slurm !== undefined ? { slurm } : {}),
    ...(containers !== undefined ? { containers } : {}),
    ...(inv.vms !== undefined ? { vms: { hosts: names(hostsWithRole(inv, "vm-host")), network: inv.vms.network, defaults: inv.vms.defaults } } : {}),
    ...(inv.site.contact !== undefined ? { contact: inv.site.contact } : {}),
    exampleImage: inv.site.exampleImage,
    exampleSif: sifName(inv.site.exampleImage),
    rentalsByOwner,
  };
}
