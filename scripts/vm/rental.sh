#!/usr/bin/env bash
# Keeps one rental VM as declared: its disk a clone of the golden snapshot (made once, grown to SIZE bytes;
# never shrunk), its cloud-init seed ISO, its domain defined from DOMAIN_XML, autostarted and running. When
# the definition changed while the VM runs, it is shut down (ACPI, GRACE seconds, then powered off) and
# started with the new one.
#   rental.sh ensure DOMAIN POOL IMAGE PARENT SIZE DOMAIN_XML SEED_DIR GRACE
#   rental.sh remove DOMAIN POOL IMAGE DELETE_DISK(yes|no) GRACE SEED_DIR
set -euo pipefail

rbd=(rbd --id libvirt)

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
  # Forget what was defined: the rental, if it comes back, is defined anew (on its kept disk).
  rm -f "$seed/applied.sha256"
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
