#!/usr/bin/env bash
# Gate: waits (bounded) for HEALTH_OK, or for a health whose every check is one of the ACCEPTED names
# (the inventory's acceptedHealthWarnings); on timeout it fails with `ceph health detail`.
#
# Usage: health-wait.sh TIMEOUT_SECONDS [ACCEPTED_CHECK...]
set -euo pipefail

(($# >= 1)) || { echo "usage: health-wait.sh TIMEOUT_SECONDS [ACCEPTED_CHECK...]" >&2; exit 2; }
timeout=$1
shift
deadline=$((SECONDS + timeout))
while :; do
  health=$(ceph health --format json 2>/dev/null || echo '{}')
  if verdict=$(python3 -c '
import json, sys
h = json.loads(sys.argv[1]); accepted = set(sys.argv[2:])
status = h.get("status", "unknown"); checks = set(h.get("checks", {}))
if status == "HEALTH_OK" or (status == "HEALTH_WARN" and checks <= accepted):
    print(status + (" (accepted: " + ", ".join(sorted(checks)) + ")" if checks else "")); sys.exit(0)
print(status + " " + ", ".join(sorted(checks - accepted))); sys.exit(1)' "$health" "$@"); then
    echo "health: $verdict"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "health-wait.sh: after ${timeout}s the cluster is $verdict:" >&2
    ceph health detail >&2 || true
    exit 1
  fi
  sleep 2
done
