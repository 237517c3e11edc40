#!/usr/bin/env bash
# Keeps one rental VM as declared: its disk a clone of the golden snapshot (made once, grown to SIZE bytes;
# never shrunk; an existing image is kept as it is, e.g. after the rental moved here from another host), its
# cloud-init seed ISO, its domain defined from DOMAIN_XML, autostarted and running. When the definition
# changed while the VM runs, it is shut down (ACPI, GRACE seconds, then powered off) and started with the new
# one. It is started only when no other host has its disk open (the image's watchers, `rbd status`): a VM
# still running on the host it moved from is refused, so one VM never runs twice on one disk.
# `remove` stops and undefines the VM, removes its seed directory, and deletes the disk only when told.
# Ceph is reached as client.libvirt (its keyring in /etc/ceph), as QEMU reaches the disk.
#   rental.sh ensure DOMAIN POOL IMAGE PARENT SIZE DOMAIN_XML SEED_DIR GRACE
#   rental.sh remove DOMAIN POOL IMAGE DELETE_DISK(yes|no) GRACE SEED_DIR
set -euo pipefail

rbd=(rbd --id libvirt)
# A host that died keeps its watch on the disk until the OSDs time it out (osd_client_watch_timeout, 30 s):
# a watcher of another host is waited for this many times 3 s before the start is refused.
WATCH_CHECKS=15
# The files RentalVm keeps in a rental's seed directory, and what ensure makes there.
SEED_FILES=(user-data meta-data network-config domain.xml seed.iso seed.iso.new applied.sha256)

running() { [[ "$(virsh domstate "$1" 2>/dev/null || true)" == "running" ]]; }

stop_domain() {
  local domain=$1 grace=$2
  running "$domain" || return 0
  virsh shutdown "$domain" >/dev/null || true
  for ((i = 0; i < grace; i++)); do
    running "$domain" || return 0
    sleep 1
  done
  virsh destroy "$domain" >/dev/null
  echo "powered off $domain after ${grace}s"
}

# The IP address of a watcher as `rbd status` prints it: [v1:|v2:|any:]IP:PORT/NONCE, IPv6 in brackets.
watcher_ip() {
  local addr=$1
  addr=${addr#v1:}
  addr=${addr#v2:}
  addr=${addr#any:}
  addr=${addr%/*}
  addr=${addr%:*}
  addr=${addr#[}
  echo "${addr%]}"
}

# The addresses, space-separated, of the other hosts that have POOL/IMAGE open; empty when none has.
foreign_watchers() {
  local pool=$1 image=$2 status addr ip found=""
  local -a mine
  read -ra mine <<<"$(hostname -I)"
  status=$("${rbd[@]}" status "$pool/$image" --format json)
  while read -r addr; do
    [[ -n "$addr" ]] || continue
    ip=$(watcher_ip "$addr")
    [[ " ${mine[*]} " == *" $ip "* || " $found " == *" $ip "* ]] || found="${found:+$found }$ip"
  done < <(grep -o '"address": *"[^"]*"' <<<"$status" | sed 's/^"address": *"\(.*\)"$/\1/')
  echo "$found"
}

# Refuses (exit 1) while another host has the rental's disk open, after waiting for a stale watch to expire.
refuse_if_open_elsewhere() {
  local rental=$1 pool=$2 image=$3 others i
  for ((i = 0; i < WATCH_CHECKS; i++)); do
    others=$(foreign_watchers "$pool" "$image")
    [[ -n "$others" ]] || return 0
    ((i > 0)) || echo "waiting: $pool/$image is open on $others"
    sleep 3
  done
  echo "rental.sh: ${rental}'s disk is open on ${others// /, }: stop it there first (a host that died holds it until Ceph drops its watch, about 30 s later)" >&2
  exit 1
}

ensure() {
  local domain=$1 pool=$2 image=$3 parent=$4 size=$5 xml=$6 seed=$7 grace=$8
  if ! "${rbd[@]}" info "$pool/$image" >/dev/null 2>&1; then
    "${rbd[@]}" clone "$parent" "$pool/$image"
    echo "changed: cloned $parent to $pool/$image"
  fi
  local current
  current=$("${rbd[@]}" info "$pool/$image" --format json | sed -n 's/.*"size": *\([0-9]*\).*/\1/p')
  if ((size < current)); then
    echo "rental.sh: refusing to shrink $pool/$image from $current to $size bytes: that loses the VM's data; give it a size of at least $current" >&2
    exit 1
  fi
  if ((size > current)); then
    "${rbd[@]}" resize --size "${size}B" "$pool/$image" >/dev/null
    echo "changed: grew $pool/$image from $current to $size bytes"
  fi

  local iso="$seed/seed.iso"
  if [[ ! -f "$iso" || "$seed/user-data" -nt "$iso" || "$seed/meta-data" -nt "$iso" || "$seed/network-config" -nt "$iso" ]]; then
    genisoimage -quiet -output "$iso.new" -volid cidata -joliet -rock "$seed/user-data" "$seed/meta-data" "$seed/network-config"
    mv "$iso.new" "$iso"
    echo "changed: seed $iso"
  fi

  local stamp="$seed/applied.sha256" want
  want=$(sha256sum "$xml" | cut -d' ' -f1)
  if ! virsh dominfo "$domain" >/dev/null 2>&1 || [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    if running "$domain"; then stop_domain "$domain" "$grace"; fi
    virsh define "$xml" >/dev/null
    echo "$want" >"$stamp"
    echo "changed: defined $domain"
  fi
  virsh autostart "$domain" >/dev/null
  if ! running "$domain"; then
    refuse_if_open_elsewhere "${seed##*/}" "$pool" "$image"
    virsh start "$domain" >/dev/null
    echo "changed: started $domain"
  else
    echo "unchanged: $domain running"
  fi
}

remove() {
  local domain=$1 pool=$2 image=$3 delete_disk=$4 grace=$5 seed=$6
  if virsh dominfo "$domain" >/dev/null 2>&1; then
    stop_domain "$domain" "$grace"
    virsh undefine "$domain" >/dev/null
    echo "changed: undefined $domain"
  fi
  # The seed and what was defined go: the rental, if it comes back here, is written and defined anew (on
  # its kept disk). Only the files a rental has there, by name; the directory itself when that emptied it.
  local removed=0 file
  for file in "${SEED_FILES[@]}"; do
    if [[ -e "$seed/$file" ]]; then
      rm -f -- "${seed:?}/$file"
      removed=$((removed + 1))
    fi
  done
  if [[ -d "$seed" ]]; then rmdir --ignore-fail-on-non-empty -- "$seed"; fi
  if ((removed > 0)); then echo "changed: removed $removed file(s) of $seed"; fi
  if [[ "$delete_disk" == yes ]]; then
    if "${rbd[@]}" info "$pool/$image" >/dev/null 2>&1; then
      "${rbd[@]}" rm --no-progress "$pool/$image"
      echo "changed: deleted $pool/$image (deleteDisk: true)"
    fi
  else
    echo "kept: $pool/$image (set deleteDisk: true, apply, then remove the rental to delete it)"
  fi
}

case "${1:-}" in
  ensure) (($# == 9)) || { echo "usage: rental.sh ensure DOMAIN POOL IMAGE PARENT SIZE DOMAIN_XML SEED_DIR GRACE" >&2; exit 2; }; shift; ensure "$@" ;;
  remove) (($# == 7)) || { echo "usage: rental.sh remove DOMAIN POOL IMAGE yes|no GRACE SEED_DIR" >&2; exit 2; }; shift; remove "$@" ;;
  *) echo "usage: rental.sh ensure|remove ..." >&2; exit 2 ;;
esac
