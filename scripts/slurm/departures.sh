#!/usr/bin/env bash
# The refresh's guard for compute nodes that left the stack, on the controller, before any Slurm file
# changes: a node the controller knows but the stack no longer lists must be drained with no job on it;
# else it refuses, naming the node's state and jobs, and nothing is changed. Its node line then goes with
# the new slurm.conf (a restart-class change). Without slurm.conf there is no cluster yet: nothing left.
#
# Usage: departures.sh NODE...      every compute node of the stack (draining ones too)
set -euo pipefail

(($# >= 1)) || { echo "usage: departures.sh NODE..." >&2; exit 2; }
if [[ ! -f /etc/slurm/slurm.conf ]]; then
  echo "unchanged: no Slurm cluster here yet, so no node has left it"
  exit 0
fi
declare -A stack=()
for node in "$@"; do stack[$node]=1; done
problems=()
leaving=()
while read -r node state; do
  [[ -n "$node" && -z "${stack[$node]:-}" ]] || continue
  jobs=$(squeue --noheader --nodelist="$node" --format='%i(%u)' | tr '\n' ' ' | sed 's/ *$//')
  if [[ "$state" != drain* ]]; then
    problems+=("$node is $state, not drained${jobs:+; it runs jobs $jobs}")
  elif [[ -n "$jobs" ]]; then
    problems+=("$node is drained but still runs jobs $jobs")
  else
    leaving+=("$node")
  fi
done < <(sinfo --noheader --Node --format='%N %T' | sort -u)
if ((${#problems[@]} > 0)); then
  printf 'departures.sh: compute nodes left the stack without being drained; nothing was changed:\n' >&2
  printf '  - %s\n' "${problems[@]}" >&2
  echo "Put them back with 'drain: true', apply, wait for their jobs (drainTimeout), then remove them." >&2
  exit 1
fi
if ((${#leaving[@]} > 0)); then
  echo "leaving: ${leaving[*]} (drained, no job): their node lines go with the new slurm.conf"
else
  echo "unchanged: every node the controller knows is in the stack"
fi
