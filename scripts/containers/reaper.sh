#!/usr/bin/env bash
# Makes systemd read ie-podman's units and keeps its timers enabled and started (the reaper's, and the
# Slurm sync's). Run after the unit files change; safe to run twice.
#
# Usage: reaper.sh [TIMER...]      TIMER defaults to ie-podman-reap.timer
set -euo pipefail

timers=("$@")
((${#timers[@]} > 0)) || timers=(ie-podman-reap.timer)
for timer in "${timers[@]}"; do
  [[ $timer =~ ^ie-podman-[a-z]+\.timer$ ]] || { echo "reaper.sh: '$timer' is not an ie-podman timer" >&2; exit 2; }
done

systemctl daemon-reload
for timer in "${timers[@]}"; do
  if systemctl is-enabled --quiet "$timer" && systemctl is-active --quiet "$timer"; then
    echo "unchanged: $timer enabled and active"
  else
    systemctl enable --now --quiet "$timer"
    echo "changed: $timer enabled and started"
  fi
done
