#!/usr/bin/env bash
# Mounts CephFS through its systemd mount unit (written by the stack beforehand), enabled so it comes back
# at every boot. Reloads systemd only when the unit file changed since it was loaded; a mounted file
# system is left alone.
#
# Usage: cephfs-mount.sh UNIT MOUNT_POINT      e.g. cephfs-mount.sh home.mount /home
set -euo pipefail

(($# == 2)) || { echo "usage: cephfs-mount.sh UNIT MOUNT_POINT" >&2; exit 2; }
unit=$1 where=$2
[[ -f "/etc/systemd/system/$unit" ]] || { echo "cephfs-mount.sh: /etc/systemd/system/$unit is missing" >&2; exit 1; }
if [[ "$(systemctl show -p NeedDaemonReload --value "$unit")" == yes ]] || ! systemctl cat "$unit" >/dev/null 2>&1; then
  systemctl daemon-reload
  echo "reloaded systemd: $unit changed"
fi
if ! systemctl is-enabled --quiet "$unit"; then
  systemctl enable --quiet "$unit"
  echo "enabled $unit"
fi
if mountpoint -q "$where"; then
  echo "unchanged: $where mounted"
  exit 0
fi
mkdir -p "$where"
systemctl start "$unit"
for ((i = 0; i < 60; i++)); do
  if mountpoint -q "$where"; then
    echo "changed: mounted $where ($(findmnt -n -o FSTYPE "$where"))"
    exit 0
  fi
  sleep 0.5
done
echo "cephfs-mount.sh: $where is not mounted 30 s after starting $unit" >&2
journalctl --no-pager --unit="$unit" --lines=20 >&2 || true
exit 1
