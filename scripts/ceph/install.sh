#!/usr/bin/env bash
# Installs the Ceph packages a host's Ceph roles need (no Recommends). Starts no daemon: the packages ship
# their units disabled, and the stack starts each daemon once its keyring and ceph.conf are in place.
#
# Usage: install.sh ROLE...     ROLE = mon | mgr | osd | mds | client | fuse
set -euo pipefail

LOCK_WAIT=300 # seconds apt waits for another apt/dpkg run on the host to finish

(($# > 0)) || { echo "usage: install.sh mon|mgr|osd|mds|client|fuse..." >&2; exit 2; }
packages=(ceph-common)
for role in "$@"; do
  case "$role" in
    mon) packages+=(ceph-mon) ;;
    mgr) packages+=(ceph-mgr) ;;
    osd) packages+=(ceph-osd util-linux) ;; # util-linux: wipefs, to find data on a device before using it
    mds) packages+=(ceph-mds) ;;
    client) ;;
    fuse) packages+=(ceph-fuse) ;;
    *) echo "install.sh: unknown Ceph role '$role'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "unchanged: ${packages[*]} already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
for pkg in "${missing[@]}"; do
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    echo "refreshing package lists: apt does not know $pkg"
    apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q update
    break
  fi
done
apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install "${missing[@]}"
echo "changed: installed ${missing[*]}"
