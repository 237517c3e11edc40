#!/usr/bin/env bash
# The quorum gate: waits (bounded) until every named monitor is in the quorum, and fails naming the ones
# that are not. Nothing else of Ceph is made before it passes.
#
# Usage: quorum-wait.sh TIMEOUT_SECONDS MON...
set -euo pipefail

(($# >= 2)) || { echo "usage: quorum-wait.sh TIMEOUT_SECONDS MON..." >&2; exit 2; }
timeout=$1
shift
deadline=$((SECONDS + timeout))
while :; do
  in_quorum=$(timeout 10 ceph quorum_status --format json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["quorum_names"]))' 2>/dev/null || true)
  missing=()
  for mon in "$@"; do
    [[ " $in_quorum " == *" $mon "* ]] || missing+=("$mon")
  done
  if ((${#missing[@]} == 0)); then
    echo "quorum: $in_quorum"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "quorum-wait.sh: after ${timeout}s these mons are not in the quorum: ${missing[*]} (quorum: ${in_quorum:-none}); see journalctl -u ceph-mon@NAME on their hosts" >&2
    exit 1
  fi
  sleep 2
done
