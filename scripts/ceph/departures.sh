#!/usr/bin/env bash
# The refresh's guard and purge for hosts that left the stack, run on a host that stays before anything
# else of the apply changes. A host whose CRUSH bucket or mon is still in the cluster but not in the stack:
#   - was drained (its OSDs out and safe to destroy, its mon out of the monmap): purge its OSDs (osdmap,
#     CRUSH, auth), its CRUSH bucket and its mgr/MDS keys; the host itself is never contacted;
#   - was not: refuse, naming what it still holds, and change nothing.
# A host without the admin keyring has no cluster yet (a first apply): nothing has left.
#
# Usage: departures.sh HOST...      every host of the stack with a Ceph daemon role (draining ones too)
set -euo pipefail

(($# >= 1)) || { echo "usage: departures.sh HOST..." >&2; exit 2; }
if [[ ! -f /etc/ceph/ceph.client.admin.keyring ]]; then
  echo "unchanged: no cluster here yet, so no host has left it"
  exit 0
fi
plan=$(
  {
    ceph osd tree --format json
    echo
    ceph mon dump --format json 2>/dev/null
    echo
  } | python3 -c '
import json, sys
stack = set(sys.argv[1:])
tree, monmap = [json.loads(l) for l in sys.stdin if l.strip()]
nodes = {n["id"]: n for n in tree["nodes"]}
for n in tree["nodes"]:
    if n["type"] == "host" and n["name"] not in stack:
        osds = [nodes[c] for c in n.get("children", []) if c in nodes]
        ins = [o["name"] for o in osds if o.get("reweight", 0) > 0]
        print("host", n["name"], ",".join(o["name"] for o in osds) or "-", ",".join(ins) or "-")
for m in monmap["mons"]:
    if m["name"] not in stack:
        print("mon", m["name"], "-", "-")' "$@"
)
if [[ -z "$plan" ]]; then
  echo "unchanged: every host in the cluster's maps is in the stack"
  exit 0
fi

problems=()
purge=()
while read -r kind name osds ins; do
  case "$kind" in
    mon) problems+=("$name still runs mon.$name in the monmap") ;;
    host)
      [[ "$ins" == - ]] || problems+=("$name still holds ${ins//,/, } (in)")
      if [[ "$osds" != - ]]; then
        ids=${osds//osd./}
        read -ra id_list <<<"${ids//,/ }"
        if ! out=$(ceph osd safe-to-destroy "${id_list[@]}" 2>&1); then
          problems+=("$name's ${osds//,/, } are not safe to destroy: $(tr '\n' ' ' <<<"$out")")
        fi
      fi
      purge+=("$name:$osds")
      ;;
  esac
done <<<"$plan"
if ((${#problems[@]} > 0)); then
  printf 'departures.sh: hosts left the stack without being drained; nothing was changed:\n' >&2
  printf '  - %s\n' "${problems[@]}" >&2
  echo "Put them back with 'drain: true', apply (their data moves to the hosts that stay), then remove them." >&2
  exit 1
fi
for entry in "${purge[@]}"; do
  name=${entry%%:*} osds=${entry#*:}
  if [[ "$osds" != - ]]; then
    read -ra osd_list <<<"${osds//,/ }"
    for osd in "${osd_list[@]}"; do
      ceph osd purge "${osd#osd.}" --yes-i-really-mean-it
      echo "purged $osd of $name (osdmap, CRUSH, auth)"
    done
  fi
  ceph osd crush rm "$name"
  for entity in "mgr.$name" "mds.$name"; do
    if ceph auth get "$entity" >/dev/null 2>&1; then
      ceph auth del "$entity"
      echo "removed the key of $entity"
    fi
  done
  echo "changed: $name left the cluster's maps"
done
