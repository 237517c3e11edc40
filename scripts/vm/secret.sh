#!/usr/bin/env bash
# Defines the libvirt secret (usage type ceph) from its XML file and sets its value to client.libvirt's key,
# read from the keyring on this host: the key never appears on a command line. Idempotent.
#
# Usage: secret.sh UUID SECRET_XML KEYRING
set -euo pipefail

if (($# != 3)); then
  echo "usage: secret.sh UUID SECRET_XML KEYRING" >&2
  exit 2
fi
uuid=$1 xml=$2 keyring=$3

if ! virsh secret-info "$uuid" >/dev/null 2>&1; then
  virsh secret-define "$xml" >/dev/null
  echo "changed: defined libvirt secret $uuid"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
ceph-authtool -p -n client.libvirt "$keyring" >"$tmp/key"
if [[ "$(virsh secret-get-value "$uuid" 2>/dev/null || true)" == "$(cat "$tmp/key")" ]]; then
  echo "unchanged: secret $uuid holds client.libvirt's key"
else
  # The file holds the key in base64, which is what virsh expects without --plain.
  virsh secret-set-value "$uuid" --file "$tmp/key" >/dev/null
  echo "changed: secret $uuid set to client.libvirt's key"
fi
