/**
 * The Slurm renderers: inventory model -> slurm.conf, gres.conf, cgroup.conf. Pure functions, no Pulumi;
 * the SlurmCluster component ships their output to the hosts and restart.ts decides what a change needs.
 */
export type { SlurmLayout } from "./render-layout";
export { OS_MEMORY_RESERVE_MIN_MIB, OS_MEMORY_RESERVE_SHARE, realMemoryMiB, slurmLayout } from "./render-layout";
export { MANAGED_HEADER, SLURM_PATHS, gresOf, renderSlurmConf } from "./render-slurm-conf";
export { gpuDeviceFiles, renderCgroupConf, renderGresConf } from "./render-node-confs";
