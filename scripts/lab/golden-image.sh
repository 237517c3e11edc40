#!/usr/bin/env bash
# Makes the lab's golden image on a VM host: a raw disk holding an ext4 file system with busybox and an
# init that reports on the serial console, and the host's Debian kernel and initrd beside it for direct
# boot. Nothing is downloaded but Debian packages from the mirror. Does nothing when all three exist.
#
# The guest's init prints "IE-LAB-GUEST-UP <hostname> root=<device>" on ttyS0 once it runs from its disk,
# then stays up (the domain keeps running).
#
# Usage: golden-image.sh IMAGE KERNEL INITRD SIZE_BYTES
set -euo pipefail

if (($# != 4)); then
  echo "usage: golden-image.sh IMAGE KERNEL INITRD SIZE_BYTES" >&2
  exit 2
fi
image=$1 kernel=$2 initrd=$3 size=$4
if [[ -f "$image" && -f "$kernel" && -f "$initrd" ]]; then
  echo "unchanged: $image, $kernel, $initrd"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in linux-image-amd64 busybox-static e2fsprogs; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]} > 0)); then
  apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get -q update >/dev/null
  apt-get -q -y --no-install-recommends install "${need[@]}" >/dev/null
fi

mkdir -p "$(dirname "$image")" "$(dirname "$kernel")" "$(dirname "$initrd")"
version=$(find /boot -name 'vmlinuz-*' | sort -V | tail -n 1 | sed 's|.*/vmlinuz-||')
cp "/boot/vmlinuz-$version" "$kernel"
cp "/boot/initrd.img-$version" "$initrd"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,root}
cp /bin/busybox "$root/bin/busybox"
for cmd in sh mount umount cat echo hostname sleep ls poweroff; do ln -s busybox "$root/bin/$cmd"; done
cat >"$root/sbin/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
hostname lab-guest
root=$(cat /proc/cmdline | sed 's/.*root=\([^ ]*\).*/\1/')
echo "IE-LAB-GUEST-UP $(hostname) root=$root" >/dev/ttyS0
while true; do sleep 3600; done
INIT
chmod 755 "$root/sbin/init"
# Data like a real image's installed system (a Debian cloud image holds ~1 GiB), so that a full copy of
# the image has something to copy and the clone-against-copy timing means something.
head -c 256M /dev/urandom >"$root/payload"
truncate -s "$size" "$image.part"
# A small file system (busybox and the payload) at the front of the big sparse disk: quick to make, to import and to clone.
mkfs.ext4 -q -F -L lab-golden -d "$root" "$image.part" 384M
mv "$image.part" "$image"
echo "changed: made $image ($size bytes, sparse), $kernel and $initrd (linux $version)"
