/**
 * gres.conf and cgroup.conf: the files that tell slurmd which device files are a node's GPUs and what the
 * cgroups of a job confine. Both go, identical, to every Slurm host (slurmctld reads gres.conf too).
 */
import type { GpuSpec } from "../inventory/model";
import type { SlurmLayout } from "./render-layout";
import { MANAGED_HEADER } from "./render-slurm-conf";

/** The device files of a node's GPUs in Slurm's notation: `/dev/nvidia0`, or `/dev/nvidia[0-1]` for two. */
export function gpuDeviceFiles(gpus: GpuSpec): string {
  return gpus.count === 1 ? `${gpus.devicePrefix}0` : `${gpus.devicePrefix}[0-${gpus.count - 1}]`;
}

/**
 * gres.conf: one line per GPU node. The Type and count must match the node's `Gres=` in slurm.conf and
 * the device files must exist on the host, or slurmd refuses the GPUs and the node is drained.
 */
export function renderGresConf(layout: SlurmLayout): string {
  const lines = [MANAGED_HEADER, "# GPUs of each compute node, by device file (cgroups confine jobs to these)."];
  for (const host of layout.computeNodes) {
    if (host.gpus === undefined) {
      lines.push(`# ${host.name}: no GPUs`);
    } else {
      const { type } = host.gpus;
      lines.push(`NodeName=${host.name} Name=gpu Type=${type} File=${gpuDeviceFiles(host.gpus)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * cgroup.conf: jobs are confined to the cores, memory and GPUs they were given. ConstrainDevices is what
 * makes `--gpus tesla:1` hide the other GPU (opening it fails with EPERM). The cgroup version is detected
 * (hosts differ: v1 in the lab, v2 on current Debian).
 */
// The layout is not read today; every host gets the same confinement, but callers pass it like the others.
export function renderCgroupConf(_layout: SlurmLayout): string {
  const lines = [
    MANAGED_HEADER,
    "# Job confinement. slurmd reads this file only when it starts: a change needs a restart of slurmd.",
    "CgroupPlugin=autodetect",
    "ConstrainDevices=yes",
    "ConstrainCores=yes",
    "ConstrainRAMSpace=yes",
  ];
  return `${lines.join("\n")}\n`;
}
