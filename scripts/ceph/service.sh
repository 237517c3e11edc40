#!/usr/bin/env bash
# Makes sure a Ceph daemon's unit is enabled and running, and stays up (bounded wait); a running daemon is
# left alone.
#
# Usage: service.sh UNIT        UNIT: ceph-mgr@NAME | ceph-mds@NAME | ceph-osd@ID
set -euo pipefail

(($# == 1)) && [[ "$1" =~ ^ceph-(mgr|mds|osd)@[A-Za-z0-9_-]+$ ]] || { echo "usage: service.sh ceph-mgr@NAME|ceph-mds@NAME|ceph-osd@ID" >&2; exit 2; }
unit=$1
if ! systemctl is-enabled --quiet "$unit"; then
  systemctl enable --quiet "$unit"
  echo "enabled $unit"
fi
if systemctl is-active --quiet "$unit"; then
  echo "unchanged: $unit running"
  exit 0
fi
systemctl start "$unit"
for ((check = 0, stable = 0; check < 60; check++)); do
  if systemctl is-active --quiet "$unit"; then stable=$((stable + 1)); else stable=0; fi
  if ((stable >= 4)); then
    echo "started $unit"
    exit 0
  fi
  sleep 0.5
done
echo "service.sh: $unit does not stay up" >&2
journalctl --no-pager --unit="$unit" --lines=30 >&2 || true
exit 1
