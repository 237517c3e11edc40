#!/usr/bin/env bash
# Sets `key = value` lines in /etc/libvirt/qemu.conf (replacing the key's line, commented or not, or adding
# it), and restarts libvirtd when the file changed.
#
# Usage: qemu-conf.sh 'KEY = VALUE'...
set -euo pipefail

conf=/etc/libvirt/qemu.conf
if [[ ! -f "$conf" ]]; then
  echo "qemu-conf.sh: $conf is missing: is libvirt-daemon-system installed?" >&2
  exit 1
fi
before=$(sha256sum "$conf")
for line in "$@"; do
  key=${line%% =*}
  if [[ ! "$key" =~ ^[a-z_]+$ ]]; then
    echo "qemu-conf.sh: '$line' is not 'key = value'" >&2
    exit 2
  fi
  if grep -qE "^#?[[:space:]]*${key}[[:space:]]*=" "$conf"; then
    # Only the first such line is the setting; later commented examples stay as they are.
    awk -v key="$key" -v line="$line" '
      !done && $0 ~ "^#?[[:space:]]*" key "[[:space:]]*=" { print line; done = 1; next }
      { print }' "$conf" >"$conf.new"
    mv "$conf.new" "$conf"
  else
    echo "$line" >>"$conf"
  fi
done
if [[ "$(sha256sum "$conf")" != "$before" ]]; then
  systemctl restart libvirtd.service
  echo "changed: $conf, libvirtd restarted"
else
  echo "unchanged: $conf"
fi
