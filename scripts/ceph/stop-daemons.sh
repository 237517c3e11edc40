#!/usr/bin/env bash
# Stops and disables every Ceph daemon of this host (OSDs, mon, mgr, MDS) once the stack drained it:
# drain.sh ran first, so its OSDs are out and safe to destroy and a standby serves for its mgr and MDS.
# Data and keys stay on the host; its CephFS mount and client tools stay too. Safe to run twice.
#
# Usage: stop-daemons.sh
set -euo pipefail

(($# == 0)) || { echo "usage: stop-daemons.sh" >&2; exit 2; }
mapfile -t units < <(systemctl list-units --all --plain --no-legend 'ceph-osd@*' 'ceph-mon@*' 'ceph-mgr@*' 'ceph-mds@*' | awk '{print $1}')
mapfile -t enabled < <(systemctl list-unit-files --plain --no-legend 'ceph-osd@*' 'ceph-mon@*' 'ceph-mgr@*' 'ceph-mds@*' | awk '$2 == "enabled" {print $1}')
changed=0
for unit in "${units[@]}" "${enabled[@]}"; do
  [[ "$unit" == *@?* ]] || continue # the template itself
  if systemctl is-active --quiet "$unit"; then
    systemctl stop "$unit"
    echo "stopped $unit"
    changed=1
  fi
  if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl disable --quiet "$unit"
    echo "disabled $unit"
    changed=1
  fi
done
((changed)) || echo "unchanged: no Ceph daemon runs here"
