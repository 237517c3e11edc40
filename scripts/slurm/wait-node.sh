#!/usr/bin/env bash
# Waits, at most TIMEOUT seconds, until every named node is ready for jobs in sinfo: not DOWN, not
# UNKNOWN, not "not responding" (a * after the state). A node that stays drained or failed for 10 s (at
# most half of TIMEOUT) will not recover by waiting - usually it declares GPUs, CPUs or memory that slurmd
# does not find - so the script stops then and prints Slurm's reason. The grace covers the moment between
# a slurmctld restart and the slurmd restarts, when slurmctld may drain a node it has not heard from again.
# Read-only; run where sinfo reaches the controller (e.g. on the controller).
#
# Usage: wait-node.sh TIMEOUT NODE...      TIMEOUT in seconds
set -euo pipefail

if (($# < 2)) || [[ ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: wait-node.sh TIMEOUT NODE..." >&2
  exit 2
fi
timeout=$1
shift
DRAIN_GRACE=$((timeout / 2 < 10 ? timeout / 2 : 10))
declare -A drained_for=() # node -> seconds seen drained in a row

# node_state NODE: sinfo's long state (idle, mixed, down*, drained, ...), empty when sinfo cannot answer.
node_state() {
  sinfo --noheader --Node --nodes="$1" --format='%T' 2>/dev/null | head -n 1 || true
}

for ((second = 0; second <= timeout; second++)); do
  waiting=()
  for node in "$@"; do
    state=$(node_state "$node")
    case "$state" in
      drain* | fail*)
        drained_for[$node]=$((${drained_for[$node]:-0} + 1))
        if ((drained_for[$node] >= DRAIN_GRACE)); then
          reason=$(sinfo --noheader --Node --nodes="$node" --format='%E' 2>/dev/null | head -n 1 || true)
          echo "wait-node.sh: $node is $state: ${reason:-no reason given}" >&2
          exit 1
        fi
        waiting+=("$node=$state")
        ;;
      "" | *'*' | down* | unknown* | not_responding* | future* | inval*)
        drained_for[$node]=0
        waiting+=("$node=${state:-?}")
        ;;
      *) drained_for[$node]=0 ;;
    esac
  done
  if ((${#waiting[@]} == 0)); then
    echo "nodes ready: $*"
    exit 0
  fi
  ((second < timeout)) && sleep 1
done
echo "wait-node.sh: not ready after ${timeout}s: ${waiting[*]}" >&2
exit 1
