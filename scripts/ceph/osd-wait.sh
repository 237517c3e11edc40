#!/usr/bin/env bash
# Gate: waits (bounded) until COUNT OSDs are up and in, and fails naming the ones that are not.
#
# Usage: osd-wait.sh TIMEOUT_SECONDS COUNT
set -euo pipefail

(($# == 2)) || { echo "usage: osd-wait.sh TIMEOUT_SECONDS COUNT" >&2; exit 2; }
timeout=$1 want=$2
deadline=$((SECONDS + timeout))
while :; do
  stat=$(ceph osd stat --format json 2>/dev/null || echo '{}')
  read -r total up in < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s.get("num_osds",0), s.get("num_up_osds",0), s.get("num_in_osds",0))' "$stat")
  if ((total >= want && up >= want && in >= want)); then
    echo "OSDs: $up up, $in in (of $total)"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "osd-wait.sh: after ${timeout}s only $up of $want OSDs are up and $in in:" >&2
    ceph osd tree >&2 || true
    exit 1
  fi
  sleep 2
done
