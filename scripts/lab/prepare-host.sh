#!/usr/bin/env bash
# Make one lab host's root file system. When the host has none yet, copy the cached base root file system
# and give the copy an identity of its own (empty machine-id, filled at first boot; no SSH host keys, made
# at first boot). Then lay the host's own files over it, remove what must not be there, enable and mask
# units (with the host's own systemctl, in a chroot).
#
# Usage: prepare-host.sh BASE_ROOTFS HOST_ROOTFS OVERLAY_DIR [--remove PATH]... [--enable UNIT]... [--mask UNIT]...
#   BASE_ROOTFS  the debootstrapped base root file system (only read)
#   HOST_ROOTFS  the host's root file system (copied from BASE_ROOTFS when missing)
#   OVERLAY_DIR  a tree of files (with their modes) to put into HOST_ROOTFS; directories missing in the
#                host are made with the overlay's mode, existing ones are left as they are
#   --remove     an absolute path inside the host to delete if present
#   --enable     a unit to enable;  --mask  a unit to mask
# Idempotent: a file is written only when its content or mode differs, a unit changed only when its state
# differs; every change is logged on stdout.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 3 ] || usage
base=$1
host=$2
overlay=$3
shift 3
removes=()
enables=()
masks=()
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    --remove) removes+=("$2") ;;
    --enable) enables+=("$2") ;;
    --mask) masks+=("$2") ;;
    *) usage ;;
  esac
  shift 2
done

name=$(basename "$host")
log() { printf '%s: %s\n' "$name" "$*"; }

[ -d "$overlay" ] || { echo "overlay directory $overlay does not exist" >&2; exit 2; }

if [ ! -e "$host/etc/os-release" ]; then
  [ -e "$base/etc/os-release" ] || { echo "base root file system $base is missing or incomplete" >&2; exit 1; }
  # Copy beside the target and rename, so a killed copy never looks like a finished host.
  rm -rf "$host" "$host.partial"
  mkdir -p "$(dirname "$host")"
  cp -a --reflink=auto "$base" "$host.partial"
  mv "$host.partial" "$host"
  : >"$host/etc/machine-id"
  # A regular-file D-Bus machine id would be shared by every copy; a symlink to /etc/machine-id is fine.
  if [ -f "$host/var/lib/dbus/machine-id" ] && [ ! -L "$host/var/lib/dbus/machine-id" ]; then
    rm -f "$host/var/lib/dbus/machine-id"
  fi
  rm -f "$host"/etc/ssh/ssh_host_*
  log "copied from $base (machine-id emptied, SSH host keys removed)"
fi

while IFS= read -r -d '' rel; do
  src="$overlay/$rel"
  dst="$host/$rel"
  mode=$(stat -c %a "$src")
  if [ -d "$src" ]; then
    # Existing directories keep their mode (/root stays 0700); new ones get the overlay's.
    if [ ! -d "$dst" ]; then
      install -d -m "$mode" "$dst"
      log "created /$rel/"
    fi
    continue
  fi
  if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst" && [ "$(stat -c %a "$dst")" = "$mode" ]; then
    continue
  fi
  # The target may be a symlink (debootstrap's resolv.conf): replace the link, never write through it.
  rm -f "$dst"
  install -m "$mode" "$src" "$dst"
  log "wrote /$rel"
done < <(cd "$overlay" && find . -mindepth 1 -printf '%P\0')

for path in "${removes[@]}"; do
  if [ -e "$host$path" ] || [ -L "$host$path" ]; then
    rm -f "$host$path"
    log "removed $path"
  fi
done

unit_state() { chroot "$host" systemctl is-enabled "$1" 2>/dev/null || true; }

for unit in "${enables[@]}"; do
  if [ "$(unit_state "$unit")" != enabled ]; then
    chroot "$host" systemctl enable --quiet "$unit"
    log "enabled $unit"
  fi
done

for unit in "${masks[@]}"; do
  if [ "$(unit_state "$unit")" != masked ]; then
    chroot "$host" systemctl mask --quiet "$unit"
    log "masked $unit"
  fi
done
