#!/usr/bin/env bash
# Makes the lab's golden image from a debootstrapped Debian root (ROOT, changed in place): a raw disk with
# one MBR partition holding ext4 (made with mkfs.ext4 -d: no loop device, no root mount), and the guest's own
# kernel and initrd beside it for direct boot. The guest is a cloud image in miniature: cloud-init reads the
# NoCloud seed (the rental's CD), makes the owner's account, sets the host name and address, makes fresh SSH
# host keys and grows the partition and file system to the rental's disk. Once it has run, a unit prints
# "IE-LAB-GUEST-UP <hostname> root=<device> up=<seconds>s" on ttyS0, which the lab's tests wait for.
#
# Writes OUT/disk.raw (SIZE_BYTES, sparse), OUT/vmlinuz and OUT/initrd.img.
# Usage: guest-image.sh ROOT OUT SIZE_BYTES
set -euo pipefail

if (($# != 3)); then
  echo "usage: guest-image.sh ROOT OUT SIZE_BYTES" >&2
  exit 2
fi
root=$1 out=$2 size=$3
[[ -x "$root/usr/bin/cloud-init" ]] || { echo "guest-image.sh: $root has no cloud-init: not a guest root" >&2; exit 1; }
mib=$((1024 * 1024))
((size % mib == 0 && size >= 1024 * mib)) || { echo "guest-image.sh: SIZE_BYTES must be whole MiB, at least 1 GiB" >&2; exit 2; }

# cloud-init: only the NoCloud seed (no probing of cloud metadata addresses), networkd writes the address.
cat >"$root/etc/cloud/cloud.cfg.d/90-ie-lab.cfg" <<'CFG'
# The lab's guest: its seed is the rental's NoCloud CD; the network is set by systemd-networkd.
datasource_list: [NoCloud]
system_info:
  network:
    renderers: [networkd]
CFG
ln -sf /usr/lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"

cat >"$root/etc/systemd/system/ie-lab-guest-up.service" <<'UNIT'
[Unit]
Description=Tell the lab the guest is up (cloud-init done, sshd running)
# Pulled in by cloud-final, which runs after multi-user.target: wanted by that target, it would make a cycle.
After=cloud-final.service ssh.service
Wants=ssh.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "IE-LAB-GUEST-UP $(hostname) root=$(sed -n "s/.*root=\\([^ ]*\\).*/\\1/p" /proc/cmdline) up=$(cut -d" " -f1 /proc/uptime)s" >/dev/ttyS0'

[Install]
WantedBy=cloud-final.service
UNIT
mkdir -p "$root/etc/systemd/system/cloud-final.service.wants"
ln -sf /etc/systemd/system/ie-lab-guest-up.service "$root/etc/systemd/system/cloud-final.service.wants/ie-lab-guest-up.service"

# Every clone makes its own identity on first boot: SSH host keys (cloud-init), machine id (systemd).
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
echo "/dev/sda1 / ext4 defaults,discard 0 1" >"$root/etc/fstab"
# What a user of the VM never reads here: smaller image, quicker import.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

mkdir -p "$out"
kernel=$(find "$root/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$(find "$root/boot" -name 'initrd.img-*' | sort -V | tail -n 1)
[[ -n "$kernel" && -n "$initrd" ]] || { echo "guest-image.sh: no kernel or initrd in $root/boot" >&2; exit 1; }
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"

# The partition starts at 1 MiB and fills the disk; cloud-init's growpart extends it to the rental's size.
part="$out/root.ext4"
truncate -s $((size - mib)) "$part"
mkfs.ext4 -q -F -L lab-root -d "$root" "$part"
truncate -s "$size" "$out/disk.raw.part"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$out/disk.raw.part"
dd if="$part" of="$out/disk.raw.part" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$part"
mv "$out/disk.raw.part" "$out/disk.raw"
echo "made $out/disk.raw ($size bytes, sparse; $(du -m "$out/disk.raw" | cut -f1) MiB used), $(basename "$kernel"), $(basename "$initrd")"
