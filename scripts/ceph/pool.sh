#!/usr/bin/env bash
# Makes a replicated pool as the inventory declares it, and keeps it so: its CRUSH rule (by device class,
# or any class), size, min_size and PG autoscale mode; `rbd pool init` for rbd pools, the application tag
# for rgw (CephFS pools are tagged by `ceph fs new`). Never deletes or shrinks anything. Needs the admin key.
#
# Usage: pool.sh NAME rbd|cephfs|rgw SIZE MIN_SIZE ssd|hdd|nvme|any on|warn|off
set -euo pipefail

(($# == 6)) || { echo "usage: pool.sh NAME rbd|cephfs|rgw SIZE MIN_SIZE CLASS|any on|warn|off" >&2; exit 2; }
pool=$1 application=$2 size=$3 min_size=$4 class=$5 autoscale=$6

if [[ "$class" == any ]]; then
  rule=replicated_rule
else
  rule=replicated-$class
  if ! ceph osd crush rule ls | grep -qx "$rule"; then
    ceph osd crush rule create-replicated "$rule" default host "$class"
    echo "changed: created CRUSH rule $rule (replicas on distinct hosts, class $class)"
  fi
fi

if ! ceph osd pool ls | grep -qx "$pool"; then
  ceph osd pool create "$pool" --autoscale-mode="$autoscale" >/dev/null 2>&1 || ceph osd pool create "$pool" >/dev/null
  echo "changed: created pool $pool"
fi

# set_if KEY VALUE: the pool setting, changed only when different.
set_if() {
  local have
  have=$(ceph osd pool get "$pool" "$1" --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])")
  if [[ "$have" != "$2" ]]; then
    ceph osd pool set "$pool" "$1" "$2" >/dev/null
    echo "changed: $pool $1 $have -> $2"
  fi
}
set_if crush_rule "$rule"
set_if size "$size"
set_if min_size "$min_size"
set_if pg_autoscale_mode "$autoscale"

enabled=$(ceph osd pool application get "$pool" --format json)
case "$application" in
  rbd)
    if [[ "$enabled" != *'"rbd"'* ]]; then
      rbd pool init "$pool"
      echo "changed: rbd pool init $pool"
    fi
    ;;
  rgw)
    if [[ "$enabled" != *'"rgw"'* ]]; then
      ceph osd pool application enable "$pool" rgw >/dev/null
      echo "changed: $pool tagged rgw"
    fi
    ;;
  cephfs) ;; # ceph fs new tags both pools
  *) echo "pool.sh: unknown application '$application'" >&2; exit 2 ;;
esac
echo "pool $pool: rule $rule, size $size/$min_size, autoscale $autoscale"
