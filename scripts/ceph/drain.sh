#!/usr/bin/env bash
# Drains one host's Ceph daemons, run from a host that stays (the stack's admin host), so the host can
# leave: a standby mgr or MDS takes over from the host's active one; the host's OSDs go `out`; then it
# waits, printing progress, until every PG is active+clean and `ceph osd safe-to-destroy` agrees for each
# of the host's OSDs. Nothing is purged or stopped here (stop-daemons.sh and mon-leave.sh do that next).
# Safe to run twice: an OSD already out stays out, a drained host finishes at once.
#
# Usage: drain.sh HOST TIMEOUT_SECONDS
set -euo pipefail

if (($# != 2)) || [[ ! "$1" =~ ^[a-z][a-z0-9-]*$ || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: drain.sh HOST TIMEOUT_SECONDS" >&2
  exit 2
fi
host=$1 timeout=$2
deadline=$((SECONDS + timeout))

# The host's OSD ids, from its CRUSH bucket (empty when it has none, or its bucket is gone already).
mapfile -t osds < <(ceph osd ls-tree "$host" 2>/dev/null || true)

# A standby takes over first, so the stop on the host never leaves the cluster without an active daemon.
active_mgr=$(ceph mgr dump --format json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("active_name",""))')
if [[ "$active_mgr" == "$host" ]]; then
  standbys=$(ceph mgr dump --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("standbys",[])))')
  ((standbys > 0)) || { echo "drain.sh: mgr.$host is the active mgr and no standby runs: start another ceph-mgr first" >&2; exit 1; }
  ceph mgr fail "$host"
  echo "mgr.$host handed over to a standby"
fi
if ceph fs dump --format json >/dev/null 2>&1; then
  ranks=$(ceph fs dump --format json | python3 -c '
import json, sys
host = sys.argv[1]
d = json.load(sys.stdin)
for fs in d.get("filesystems", []):
    for info in fs["mdsmap"]["info"].values():
        if info["name"] == host and info["state"] != "up:standby":
            print(info["name"])' "$host")
  if [[ -n "$ranks" ]]; then
    standbys=$(ceph fs dump --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("standbys",[])))')
    ((standbys > 0)) || { echo "drain.sh: mds.$host holds a rank and no standby MDS runs: start another ceph-mds first" >&2; exit 1; }
    ceph mds fail "$host"
    echo "mds.$host handed its rank to a standby"
  fi
fi

if ((${#osds[@]} == 0)); then
  echo "drained: $host has no OSD in the CRUSH map"
  exit 0
fi
for id in "${osds[@]}"; do
  weight=$(ceph osd dump --format json | python3 -c '
import json, sys
for o in json.load(sys.stdin)["osds"]:
    if o["osd"] == int(sys.argv[1]): print(o["in"])' "$id")
  if [[ "$weight" == 1 ]]; then
    ceph osd out "$id" >/dev/null 2>&1
    echo "osd.$id marked out"
  fi
done

last_report=-1000
while :; do
  pgs=$(ceph pg stat --format json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
s = s.get("pg_summary", s)
states = {x["name"]: x["num"] for x in s.get("num_pg_by_state", [])}
total = s.get("num_pgs", 0)
clean = states.get("active+clean", 0)
print(clean, total, ", ".join(f"{n} {k}" for k, n in sorted(states.items()) if k != "active+clean") or "-")' || echo "0 0 unknown")
  read -r clean total others <<<"$pgs"
  if ((total > 0 && clean == total)) && ceph osd safe-to-destroy "${osds[@]}" >/dev/null 2>&1; then
    echo "drained: $host's OSDs (${osds[*]}) are out, every PG ($total) is active+clean and safe-to-destroy agrees"
    exit 0
  fi
  if ((SECONDS - last_report >= 15)); then
    echo "draining $host: $clean of $total PGs active+clean; others: $others"
    last_report=$SECONDS
  fi
  if ((SECONDS >= deadline)); then
    echo "drain.sh: after ${timeout}s $host's OSDs (${osds[*]}) are not safe to destroy: $clean of $total PGs active+clean ($others)." >&2
    echo "Its OSDs stay out; the next apply waits again. Check that the hosts that stay have room and the pools' device classes:" >&2
    ceph osd safe-to-destroy "${osds[@]}" >&2 || true
    exit 1
  fi
  sleep 3
done
