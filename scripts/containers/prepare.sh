#!/usr/bin/env bash
# Gets a container host ready for ie-podman once Podman is installed: the storage directory on the SSD
# path (root only), the subordinate id range Podman's automatic user namespaces (`--userns=auto`, used
# for builds) take ids from, and ie-podman's state and log directories (root only).
#
# Usage: prepare.sh STORAGE_PATH
set -euo pipefail

if (($# != 1)) || [[ "$1" != /* ]]; then
  echo "usage: prepare.sh STORAGE_PATH (absolute)" >&2
  exit 2
fi
storage=$1

ensure_dir() {
  local dir=$1
  if [[ ! -d "$dir" ]]; then
    install -d -m 0700 -o root -g root "$dir"
    echo "changed: created $dir"
  elif [[ "$(stat -c '%a %U' "$dir")" != "700 root" ]]; then
    chown root:root "$dir"
    chmod 0700 "$dir"
    echo "changed: $dir is now 0700 root"
  fi
}
ensure_dir "$storage"
ensure_dir /var/lib/ie-podman
ensure_dir /var/log/ie-podman

# Podman's --userns=auto takes ranges from the "containers" entries; the top half of the 32-bit id space
# stays clear of every user and of rootless users' ranges.
for file in /etc/subuid /etc/subgid; do
  touch "$file"
  if ! grep -q '^containers:' "$file"; then
    echo "containers:2147483647:2147483648" >>"$file"
    echo "changed: containers range in $file"
  fi
done
echo "prepared: $storage, /var/lib/ie-podman, /var/log/ie-podman"
