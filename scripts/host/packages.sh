#!/usr/bin/env bash
# Installs the Debian packages named (no Recommends; existing configuration files kept), refreshing the
# package lists first when apt does not know one of them or when an apt source was just added. A package
# may be written NAME/SUITE to take it from that suite (a pinned source). Prints what it changed.
#
# Usage: packages.sh [--refresh] PACKAGE...
set -euo pipefail

LOCK_WAIT=300 # seconds apt waits for another apt/dpkg run on the host to finish

refresh=no
if [[ "${1:-}" == "--refresh" ]]; then
  refresh=yes
  shift
fi
if (($# == 0)); then
  echo "usage: packages.sh [--refresh] PACKAGE..." >&2
  exit 2
fi

missing=()
for pkg in "$@"; do
  if [[ "$(dpkg-query -W -f='${Status}' "${pkg%%/*}" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "unchanged: $* already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [[ "$refresh" == no ]]; then
  for pkg in "${missing[@]}"; do
    if ! apt-cache show "${pkg%%/*}" >/dev/null 2>&1; then
      refresh=yes
      break
    fi
  done
fi
if [[ "$refresh" == yes ]]; then
  echo "refreshing package lists"
  apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q update
fi
apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  install "${missing[@]}"
echo "changed: installed ${missing[*]}"
