#!/usr/bin/env bash
# Takes a drained host's mon out of the monmap, from a host that stays, only if the mons that remain are
# an odd number of at least 3, all in the quorum. Safe to run twice: a mon already gone is fine.
#
# Usage: mon-leave.sh NAME
set -euo pipefail

if (($# != 1)) || [[ ! "$1" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "usage: mon-leave.sh NAME" >&2
  exit 2
fi
name=$1
read -r present remaining in_quorum < <(ceph quorum_status --format json | python3 -c '
import json, sys
name = sys.argv[1]
q = json.load(sys.stdin)
mons = [m["name"] for m in q["monmap"]["mons"]]
rest = [m for m in mons if m != name]
print(int(name in mons), len(rest), sum(1 for m in rest if m in q["quorum_names"]))' "$name")
if ((present == 0)); then
  echo "unchanged: mon.$name is not in the monmap"
  exit 0
fi
if ((remaining < 3 || remaining % 2 == 0 || in_quorum < remaining)); then
  echo "mon-leave.sh: removing mon.$name would leave $remaining mons ($in_quorum in quorum): keep an odd quorum of at least 3; add the new mon first" >&2
  exit 1
fi
ceph mon remove "$name"
echo "changed: mon.$name left the monmap; $remaining mons remain"
