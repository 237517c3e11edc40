#!/usr/bin/env bash
# Makes one OSD on DEVICE with CRUSH device class CLASS, once. Re-run on a device that already is an OSD of
# this host, it only makes sure that OSD runs: an existing OSD is never re-created.
#
# A device that already carries data (a filesystem, LVM, a partition table, a Ceph label; for a backing
# file: any content) is refused, and nothing on it is touched, unless WIPE is "yes" (the inventory's
# `wipe: true` for that device): then it is destroyed first.
#
#   lvm   a whole disk, production: ceph-volume lvm create (LVM on the disk, BlueStore on the LV)
#   file  a backing file of SIZE bytes (the lab: no disks, no device-mapper): BlueStore on the file, made
#         with `ceph osd new` + `ceph-osd --mkfs` as ceph-volume does it
#
# Usage: osd.sh lvm|file DEVICE CLASS yes|no [SIZE_BYTES]
# Needs /etc/ceph/ceph.conf and /var/lib/ceph/bootstrap-osd/ceph.keyring.
set -euo pipefail

usage() { echo "usage: osd.sh lvm|file DEVICE CLASS yes|no [SIZE_BYTES]" >&2; exit 2; }
(($# >= 4)) || usage
backend=$1 device=$2 class=$3 wipe=$4 size=${5:-}
[[ "$backend" =~ ^(lvm|file)$ && "$device" == /* && "$class" =~ ^(ssd|hdd|nvme)$ && "$wipe" =~ ^(yes|no)$ ]] || usage
[[ "$backend" != file || "$size" =~ ^[0-9]+$ ]] || { echo "osd.sh: a file-backed OSD needs SIZE_BYTES" >&2; exit 2; }
BOOTSTRAP=/var/lib/ceph/bootstrap-osd/ceph.keyring
as_bootstrap=(ceph --name client.bootstrap-osd --keyring "$BOOTSTRAP")
host=$(hostname)

# existing_osd: the id of this host's OSD on $device, if there is one.
existing_osd() {
  local marker
  if [[ "$backend" == file ]]; then
    for marker in /var/lib/ceph/osd/ceph-*/ie-device; do
      [[ -f "$marker" && "$(cat "$marker")" == "$device" ]] || continue
      marker=${marker%/ie-device}
      echo "${marker##*/ceph-}"
      return 0
    done
    return 1
  fi
  ceph-volume lvm list "$device" --format json 2>/dev/null | python3 -c '
import json, sys
osds = json.load(sys.stdin)
if not osds: sys.exit(1)
print(next(iter(osds)))'
}

# carries_data: what is on the device that must not be destroyed unasked (empty output: nothing).
carries_data() {
  if [[ "$backend" == file ]]; then
    [[ -e "$device" ]] || return 0
    [[ -f "$device" ]] || { echo "not a regular file"; return 0; }
    local signatures
    signatures=$(wipefs --no-act --noheadings --output TYPE "$device" 2>/dev/null | sort -u | tr '\n' ' ')
    if [[ -n "$signatures" ]]; then echo "signatures: $signatures"; elif [[ -s "$device" ]]; then echo "$(stat -c %s "$device") bytes of content"; fi
    return 0
  fi
  [[ -b "$device" ]] || { echo "not a block device"; return 0; }
  wipefs --no-act --noheadings --output TYPE "$device" 2>/dev/null | sort -u | tr '\n' ' '
  lsblk --noheadings --output NAME "$device" | tail -n +2 | sed 's/^/partition /' | tr '\n' ' '
}

if id=$(existing_osd); then
  echo "unchanged: $device is osd.$id"
  if [[ "$backend" == lvm ]] && ! systemctl is-active --quiet "ceph-osd@$id"; then
    ceph-volume lvm activate --all --no-systemd >/dev/null
  fi
  systemctl enable --quiet "ceph-osd@$id"
  if ! systemctl is-active --quiet "ceph-osd@$id"; then
    systemctl start "ceph-osd@$id"
    echo "started ceph-osd@$id"
  fi
  exit 0
fi

data=$(carries_data | sed 's/ *$//')
if [[ -n "$data" && ! ( "$backend" == file && "$data" == "not a regular file" ) ]]; then
  if [[ "$wipe" != yes ]]; then
    echo "osd.sh: $host:$device already carries data ($data); refusing to touch it. If its data may be destroyed, set 'wipe: true' for this device in the inventory." >&2
    exit 1
  fi
  echo "wiping $device as the inventory allows (wipe: true): $data"
  if [[ "$backend" == lvm ]]; then ceph-volume lvm zap --destroy "$device"; else truncate -s 0 "$device"; fi
elif [[ -n "$data" ]]; then
  echo "osd.sh: $host:$device exists and is not a regular file; a file-backed OSD needs a file path" >&2
  exit 1
fi

if [[ "$backend" == lvm ]]; then
  ceph-volume lvm create --bluestore --data "$device" --crush-device-class "$class"
  echo "changed: created an OSD on $device (class $class)"
  exit 0
fi

uuid=$(cat /proc/sys/kernel/random/uuid)
secret=$(ceph-authtool --gen-print-key)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
id=$(printf '{"cephx_secret": "%s"}' "$secret" | "${as_bootstrap[@]}" osd new "$uuid" -i - 2>"$log") || { cat "$log" >&2; exit 1; }
dir=/var/lib/ceph/osd/ceph-$id
install -d -o ceph -g ceph -m 0750 "$dir"
install -d -o ceph -g ceph "$(dirname "$device")"
truncate -s "$size" "$device"
chown ceph:ceph "$device"
ln -sfn "$device" "$dir/block"
ceph-authtool --create-keyring "$dir/keyring" --name "osd.$id" --add-key "$secret" >/dev/null
echo "$class" >"$dir/crush_device_class" # read by the OSD at its first start: it sets its own class
chown -R ceph:ceph "$dir"
# mkfs complains that a file has no device name; only its exit status tells.
runuser -u ceph -- ceph-osd --mkfs -i "$id" --osd-uuid "$uuid" --osd-data "$dir" --osd-objectstore bluestore --keyring "$dir/keyring" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "$device" >"$dir/ie-device"
systemctl enable --quiet "ceph-osd@$id"
systemctl start "ceph-osd@$id"
echo "changed: created osd.$id on $device (class $class, $size bytes)"
