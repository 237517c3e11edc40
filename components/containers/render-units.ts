/**
 * The systemd units of a container host's timers, each a oneshot service of `ie-podman VERB` run as root
 * (not through sudo: ie-podman knows the admin by that) and its timer. Pure.
 */

/** ie-podman's entry script, the command users type; the sudoers rule names exactly this file. */
export const IE_PODMAN_PATH = "/usr/local/bin/ie-podman";

/** The reaper: removes containers stopped longer than the inventory's reapAfter. */
export function renderReaperService(): string {
  return [
    "# Managed by ie-infra.",
    "[Unit]",
    "Description=ie-podman reaper: remove containers stopped longer than the inventory's reapAfter",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${IE_PODMAN_PATH} reap`,
    "",
  ].join("\n");
}

/** Hourly; a missed run is made up at boot. */
export function renderReaperTimer(): string {
  return [
    "# Managed by ie-infra.",
    "[Unit]",
    "Description=Run the ie-podman reaper hourly",
    "",
    "[Timer]",
    "OnCalendar=hourly",
    "RandomizedDelaySec=5min",
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/**
 * The Slurm sync: on a host whose GPUs Slurm owns, stops a GPU container whose allocation ended (time limit,
 * an admin's scancel) and ends the allocation of a container that stopped. On other hosts it does nothing.
 * Every 15 s, so a GPU is not used past its allocation for long: LogLevelMax keeps the runs out of the
 * journal unless something goes wrong (ie-podman's audit log records every action).
 */
export function renderSyncService(): string {
  return [
    "# Managed by ie-infra.",
    "[Unit]",
    "Description=ie-podman sync: GPU containers and their Slurm allocations end together",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${IE_PODMAN_PATH} sync`,
    "LogLevelMax=notice",
    "",
  ].join("\n");
}

/** Every 15 s from boot; AccuracySec so systemd does not coalesce the runs to its default minute. */
export function renderSyncTimer(): string {
  return [
    "# Managed by ie-infra.",
    "[Unit]",
    "Description=Run ie-podman sync every 15 seconds",
    "",
    "[Timer]",
    "OnBootSec=30s",
    "OnUnitActiveSec=15s",
    "AccuracySec=1s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
