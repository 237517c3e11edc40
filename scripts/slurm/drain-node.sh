#!/usr/bin/env bash
# Drains one compute node for the refresh, on the controller: the node is set DRAIN with REASON (no new
# job starts there), then running jobs get up to TIMEOUT seconds to finish, listed every 30 s. Either way
# it reports and succeeds: the node stays drained, and the stack refuses to remove it while a job runs.
# Safe to run twice.
#
# Usage: drain-node.sh NODE TIMEOUT_SECONDS REASON
set -euo pipefail

if (($# != 3)) || [[ ! "$1" =~ ^[a-z][a-z0-9-]*$ || ! "$2" =~ ^[0-9]+$ || -z "$3" ]]; then
  echo "usage: drain-node.sh NODE TIMEOUT_SECONDS REASON" >&2
  exit 2
fi
node=$1 timeout=$2 reason=$3
state=$(sinfo --noheader --Node --nodes="$node" --format='%T' | head -n 1)
case "$state" in
  drain* ) echo "unchanged: $node is $state" ;;
  *)
    scontrol update NodeName="$node" State=DRAIN Reason="$reason"
    echo "changed: $node set DRAIN (was $state): $reason"
    ;;
esac
deadline=$((SECONDS + timeout))
last_report=-1000
while :; do
  jobs=$(squeue --noheader --nodelist="$node" --format='%i %u %j %T %M' || true)
  if [[ -z "$jobs" ]]; then
    echo "drained: no job runs on $node"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "drain timeout (${timeout}s): these jobs still run on $node; it stays drained and cannot leave the stack until they end:"
    echo "$jobs"
    exit 0
  fi
  if ((SECONDS - last_report >= 30)); then
    echo "waiting for the jobs on $node (JOBID USER NAME STATE TIME):"
    echo "$jobs"
    last_report=$SECONDS
  fi
  sleep 5
done
