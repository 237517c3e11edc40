#!/usr/bin/env bash
# Makes each user's home directory on the (shared) CephFS mount, once: owned by the user, mode 0750, from
# /etc/skel. Existing homes are never changed. Refuses to run when nothing is mounted there, so homes are
# never made on the host's local disk by mistake.
#
# Usage: homes.sh MOUNT_POINT [USER UID]...
set -euo pipefail

(($# >= 1 && ($# - 1) % 2 == 0)) || { echo "usage: homes.sh MOUNT_POINT [USER UID]..." >&2; exit 2; }
base=$1
shift
mountpoint -q "$base" || { echo "homes.sh: nothing is mounted at $base" >&2; exit 1; }
while (($# > 0)); do
  user=$1 uid=$2
  shift 2
  home=$base/$user
  if [[ -d "$home" ]]; then
    echo "unchanged: $home"
    continue
  fi
  install -d -m 0750 -o "$uid" -g "$uid" "$home"
  cp -a /etc/skel/. "$home/" 2>/dev/null || true
  chown -R "$uid:$uid" "$home"
  echo "changed: created $home"
done
