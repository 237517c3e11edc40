/**
 * slurm.conf, rendered from the Slurm layout. The same file goes to the controller and every compute node
 * (Slurm insists on identical copies). Lines come in a fixed order, grouped under comments, so that a change
 * in the inventory shows up as a small diff and the restart classifier (restart.ts) sees only what changed.
 */
import type { GpuSpec, HostSpec, PartitionSpec } from "../inventory/model";
import { toSlurmTime } from "../inventory/units";
import type { SlurmLayout } from "./render-layout";
import { OS_MEMORY_RESERVE_MIN_MIB, OS_MEMORY_RESERVE_SHARE, realMemoryMiB } from "./render-layout";

/** The first line of every file this system manages on a host. */
export const MANAGED_HEADER = "# Managed by ie-infra: edits are overwritten";

/** Directories and files the daemons use; scripts/slurm/install.sh creates the directories. */
export const SLURM_PATHS = {
  stateSaveLocation: "/var/spool/slurmctld",
  slurmdSpoolDir: "/var/spool/slurmd",
  logDir: "/var/log/slurm",
  /** Debian's systemd units name these pid files (PIDFile=); Slurm must write the same ones. */
  slurmctldPidFile: "/run/slurmctld.pid",
  slurmdPidFile: "/run/slurmd.pid",
} as const;

/** The `Gres=` value of a node: `gpu:<type>:<count>`. */
export function gresOf(gpus: GpuSpec): string {
  return `gpu:${gpus.type}:${gpus.count}`;
}

function nodeLine(host: HostSpec): string {
  const fields = [
    `NodeName=${host.name}`,
    `NodeAddr=${host.address}`,
    `CPUs=${host.cpus}`,
    `RealMemory=${realMemoryMiB(host)}`,
  ];
  if (host.gpus !== undefined) fields.push(`Gres=${gresOf(host.gpus)}`);
  fields.push("State=UNKNOWN");
  return fields.join(" ");
}

function partitionLine(partition: PartitionSpec): string {
  const fields = [
    `PartitionName=${partition.name}`,
    `Nodes=${partition.nodes.join(",")}`,
    `Default=${partition.default ? "YES" : "NO"}`,
    `MaxTime=${partition.maxTime === undefined ? "UNLIMITED" : toSlurmTime(partition.maxTime)}`,
  ];
  if (partition.defaultTime !== undefined) fields.push(`DefaultTime=${toSlurmTime(partition.defaultTime)}`);
  fields.push(`MaxNodes=${partition.maxNodes === undefined ? "UNLIMITED" : String(partition.maxNodes)}`);
  fields.push("State=UP");
  return fields.join(" ");
}

/** slurm.conf for the whole cluster. */
export function renderSlurmConf(layout: SlurmLayout): string {
  const { controller, computeNodes, spec } = layout;
  const reservePercent = Math.round(OS_MEMORY_RESERVE_SHARE * 100);
  const lines: string[] = [
    MANAGED_HEADER,
    `# Slurm configuration of cluster '${spec.clusterName}', rendered from the stack's inventory.`,
    "",
    "# Cluster and controller",
    `ClusterName=${spec.clusterName}`,
    `SlurmctldHost=${controller.name}(${controller.address})`,
    `SlurmctldPort=${spec.controllerPort}`,
    `SlurmdPort=${spec.nodePort}`,
    "SlurmUser=slurm",
    "# Every daemon and command authenticates with the munge key shared by all hosts.",
    "AuthType=auth/munge",
    "",
    "# Scheduling: cores and memory are consumable per job, GPUs are generic resources (--gpus tesla:1).",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core_Memory",
    "GresTypes=gpu",
    "",
    "# Confinement: cgroups track every process of a job and limit it to its cores, memory and GPUs",
    "# (cgroup.conf says what is constrained).",
    "ProctrackType=proctrack/cgroup",
    "TaskPlugin=task/cgroup,task/affinity",
    "",
    "# Who may do what: users cancel and modify only their own jobs; that is Slurm's default (only root,",
    "# SlurmUser and operators/administrators may act on others' jobs, and no operator is granted: there is",
    "# no accounting database). No PrivateData either: squeue shows everyone's jobs.",
    "",
    "# Timeouts and recovery: a node that was DOWN returns to service by itself once slurmd registers",
    "# with a valid configuration (ReturnToService=2), e.g. after a reboot or a restart for a config change.",
    `MessageTimeout=${spec.messageTimeout}`,
    "ReturnToService=2",
    "",
    "# State, spool, logs",
    `StateSaveLocation=${SLURM_PATHS.stateSaveLocation}`,
    `SlurmdSpoolDir=${SLURM_PATHS.slurmdSpoolDir}`,
    `SlurmctldPidFile=${SLURM_PATHS.slurmctldPidFile}`,
    `SlurmdPidFile=${SLURM_PATHS.slurmdPidFile}`,
    `SlurmctldLogFile=${SLURM_PATHS.logDir}/slurmctld.log`,
    `SlurmdLogFile=${SLURM_PATHS.logDir}/slurmd.log`,
    "",
    `# Compute nodes. RealMemory is the host's memory minus max(${OS_MEMORY_RESERVE_MIN_MIB} MiB, ${reservePercent} %) kept`,
    "# for the OS: slurmd reports less than is installed, and a node declaring more than that is drained.",
  ];
  if (spec.configOverrides) {
    lines.push(
      "# The node lines below are trusted over what slurmd detects (hosts report fewer CPUs than declared).",
      "SlurmdParameters=config_overrides",
    );
  }
  lines.push(...computeNodes.map(nodeLine));
  lines.push(
    "",
    "# Partitions. A partition without DefaultTime gives jobs its MaxTime (Slurm's default).",
    ...spec.partitions.map(partitionLine),
  );
  return `${lines.join("\n")}\n`;
}
