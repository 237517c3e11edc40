#!/usr/bin/env bash
# Makes this host's Ceph monitor: creates its store once, then makes sure ceph-mon@NAME is enabled and
# running. An existing store is never re-created. The store's monmap is the cluster's own when a cluster
# already answers (a mon joining at the refresh: `ceph mon add` first, so the quorum expects it), else
# the initial monmap of every mon of the inventory (a new cluster).
#
# Usage: mon.sh NAME FSID MON...      MON: NAME=IP for every monitor of the cluster (this one included)
# Needs /etc/ceph/ceph.conf and /etc/ceph/ceph.mon.keyring (both written by the stack beforehand).
set -euo pipefail

(($# >= 3)) || { echo "usage: mon.sh NAME FSID NAME=IP..." >&2; exit 2; }
name=$1 fsid=$2
shift 2
KEYRING=/etc/ceph/ceph.mon.keyring
store=/var/lib/ceph/mon/ceph-$name

[[ -f "$KEYRING" ]] || { echo "mon.sh: $KEYRING is missing" >&2; exit 1; }
if [[ -f "$store/done" ]]; then
  echo "unchanged: the store of mon.$name exists"
else
  monmap=$(mktemp)
  trap 'rm -f "$monmap"' EXIT
  args=()
  for mon in "$@"; do
    [[ "$mon" =~ ^([a-z][a-z0-9-]*)=([0-9.]+)$ ]] || { echo "mon.sh: '$mon' is not NAME=IP" >&2; exit 2; }
    args+=(--addv "${BASH_REMATCH[1]}" "[v2:${BASH_REMATCH[2]}:3300,v1:${BASH_REMATCH[2]}:6789]")
  done
  # A first apply finds no mon answering within a few seconds: then this is a new cluster.
  if [[ -f /etc/ceph/ceph.client.admin.keyring ]] && current=$(timeout 20 ceph --connect-timeout 5 mon dump --format json 2>/dev/null); then
    own=
    for mon in "$@"; do [[ "${mon%%=*}" == "$name" ]] && own=${mon#*=}; done
    [[ -n "$own" ]] || { echo "mon.sh: $name is not among the mons given" >&2; exit 2; }
    if ! python3 -c 'import json,sys; sys.exit(0 if sys.argv[1] in [m["name"] for m in json.loads(sys.argv[2])["mons"]] else 1)' "$name" "$current"; then
      ceph mon add "$name" "$own" # a bare address: Ceph gives it both v2 (3300) and v1 (6789)
      echo "added mon.$name to the running cluster's monmap"
    fi
    ceph mon getmap -o "$monmap" 2>/dev/null
  else
    monmaptool --create --clobber --fsid "$fsid" "${args[@]}" "$monmap" >/dev/null
  fi
  chown ceph:ceph "$monmap"
  rm -rf "$store" # an unfinished store (no done marker) of an earlier, interrupted run
  install -d -o ceph -g ceph -m 0750 "$store"
  runuser -u ceph -- ceph-mon --mkfs -i "$name" --monmap "$monmap" --keyring "$KEYRING"
  touch "$store/done"
  chown ceph:ceph "$store/done"
  echo "changed: created the store of mon.$name"
fi
if ! systemctl is-enabled --quiet "ceph-mon@$name"; then
  systemctl enable --quiet "ceph-mon@$name"
  echo "enabled ceph-mon@$name"
fi
if ! systemctl is-active --quiet "ceph-mon@$name"; then
  systemctl start "ceph-mon@$name"
  echo "started ceph-mon@$name"
fi
