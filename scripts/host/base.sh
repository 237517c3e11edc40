#!/usr/bin/env bash
# Brings an apt-family host to the base state every component builds on: the given packages installed
# (without Recommends). Package lists are refreshed only when something must be installed and the lists
# are missing or older than a day. Safe to run again: installed packages are left alone.
#
# Usage: base.sh PACKAGE...
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
LISTS=/var/lib/apt/lists
LOCK_WAIT=300 # seconds apt waits for another apt/dpkg run (unattended-upgrades) to finish

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "base packages present: $*"
  exit 0
fi

# A Release file touched within the last day means the lists are fresh enough to install from.
if ! find "$LISTS" -maxdepth 1 -name '*Release' -mmin -1440 2>/dev/null | grep -q .; then
  echo "refreshing package lists (missing or older than a day)"
  apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q update
fi

echo "installing: ${missing[*]}"
apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  install "${missing[@]}"
echo "changed: installed ${missing[*]}"
