#!/usr/bin/env bash
# Makes systemd read the reaper's units and keeps its timer enabled and started. Run after the unit
# files change; safe to run twice.
#
# Usage: reaper.sh
set -euo pipefail

systemctl daemon-reload
if systemctl is-enabled --quiet ie-podman-reap.timer && systemctl is-active --quiet ie-podman-reap.timer; then
  echo "unchanged: ie-podman-reap.timer enabled and active"
else
  systemctl enable --now --quiet ie-podman-reap.timer
  echo "changed: ie-podman-reap.timer enabled and started"
fi
