#!/usr/bin/env bash
# Installs apptainer from the .deb at URL (for OSes without a package and without an apt source for it),
# with its dependencies from the OS's archive. Does nothing when apptainer is already installed.
#
# Usage: apptainer-deb.sh URL
set -euo pipefail

if (($# != 1)) || [[ ! "$1" =~ ^https?://[^[:space:]]+\.deb$ ]]; then
  echo "usage: apptainer-deb.sh URL-of-a-.deb" >&2
  exit 2
fi
url=$1
if [[ "$(dpkg-query -W -f='${Status}' apptainer 2>/dev/null || true)" == "install ok installed" ]]; then
  echo "unchanged: apptainer already installed"
  exit 0
fi
dir=/var/cache/ie-infra
mkdir -p "$dir"
deb="$dir/apptainer.deb"
curl -fsSL --retry 3 -o "$deb.part" "$url"
mv "$deb.part" "$deb"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 -q -y --no-install-recommends install "$deb"
echo "changed: installed apptainer from $url"
