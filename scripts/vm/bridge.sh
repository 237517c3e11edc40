#!/usr/bin/env bash
# Makes systemd-networkd create the VM bridge from its files (written before) and waits until it exists.
#
# Usage: bridge.sh BRIDGE
set -euo pipefail

(($# == 1)) || { echo "usage: bridge.sh BRIDGE" >&2; exit 2; }
bridge=$1
if ip link show "$bridge" >/dev/null 2>&1; then
  echo "unchanged: bridge $bridge exists"
  exit 0
fi
systemctl enable --now --quiet systemd-networkd.service
networkctl reload
for _ in $(seq 30); do
  ip link show "$bridge" >/dev/null 2>&1 && { echo "changed: bridge $bridge created"; exit 0; }
  sleep 1
done
echo "bridge.sh: systemd-networkd did not create $bridge within 30 s (see networkctl status $bridge)" >&2
exit 1
