#!/usr/bin/env bash
# Undoes drain-node.sh when a node's `drain: true` is taken back: the node takes jobs again. A node the
# controller no longer knows (it left the stack) has nothing to resume. Safe to run twice.
#
# Usage: resume-node.sh NODE
set -euo pipefail

if (($# != 1)) || [[ ! "$1" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "usage: resume-node.sh NODE" >&2
  exit 2
fi
node=$1
if ! state=$(sinfo --noheader --Node --nodes="$node" --format='%T' 2>/dev/null | head -n 1) || [[ -z "$state" ]]; then
  echo "unchanged: the controller does not know $node (it left the stack)"
  exit 0
fi
case "$state" in
  drain*)
    scontrol update NodeName="$node" State=RESUME
    echo "changed: $node resumed (was $state)"
    ;;
  *) echo "unchanged: $node is $state" ;;
esac
