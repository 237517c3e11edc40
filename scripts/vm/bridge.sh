#!/usr/bin/env bash
# Makes systemd-networkd create the VM bridge from its files (written before) and waits until it exists;
# when the bridge exists already, makes systemd-networkd apply its edited files to it (an address added or
# taken away). Ports (the VMs' taps) stay attached.
#
# Usage: bridge.sh BRIDGE
set -euo pipefail

(($# == 1)) || { echo "usage: bridge.sh BRIDGE" >&2; exit 2; }
bridge=$1
addresses() { ip -o -4 addr show dev "$bridge" | awk '{print $4}' | sort | tr '\n' ' '; }

systemctl enable --now --quiet systemd-networkd.service
networkctl reload
if ip link show "$bridge" >/dev/null 2>&1; then
  before=$(addresses)
  networkctl reconfigure "$bridge"
  sleep 1
  after=$(addresses)
  if [[ "$before" == "$after" ]]; then
    echo "unchanged: bridge $bridge exists${after:+ with $after}"
  else
    echo "changed: bridge $bridge now has [${after% }], had [${before% }]"
  fi
  exit 0
fi
for _ in $(seq 30); do
  ip link show "$bridge" >/dev/null 2>&1 && { echo "changed: bridge $bridge created"; exit 0; }
  sleep 1
done
echo "bridge.sh: systemd-networkd did not create $bridge within 30 s (see networkctl status $bridge)" >&2
exit 1
