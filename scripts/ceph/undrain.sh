#!/usr/bin/env bash
# Undoes drain.sh when a host's `drain: true` is taken back: its OSDs are marked in again (its daemons
# were started again by the stack). A host whose CRUSH bucket is gone (it left the stack and was purged)
# has nothing to undo. Safe to run twice. A mon that left the monmap does not come back by this.
#
# Usage: undrain.sh HOST
set -euo pipefail

if (($# != 1)) || [[ ! "$1" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "usage: undrain.sh HOST" >&2
  exit 2
fi
host=$1
mapfile -t osds < <(ceph osd ls-tree "$host" 2>/dev/null || true)
if ((${#osds[@]} == 0)); then
  echo "unchanged: $host has no OSD in the CRUSH map"
  exit 0
fi
for id in "${osds[@]}"; do
  ceph osd in "$id"
  echo "osd.$id marked in"
done
