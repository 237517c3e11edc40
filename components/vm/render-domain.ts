/**
 * A rental's libvirt domain XML: its disk an RBD image over virtio-scsi with discard, the cloud-init seed
 * as a CD, a virtio NIC on the VM bridge, a serial console (also logged to a file on the host), ACPI for
 * a clean shutdown, the domain type of the inventory. Built with an XML library, validated against
 * libvirt's schema in the tests.
 */
import { create } from "xmlbuilder2";
import { GOLDEN_SNAPSHOT, LIBVIRT_CEPH_USER, type RentalLayout, type VmLayout } from "./render-layout";

/** Where a rental's seed ISO, domain XML and serial log live on its VM host. */
export const VM_STATE_DIR = "/var/lib/ie/vms";
export const seedIsoPath = (r: RentalLayout) => `${VM_STATE_DIR}/${r.name}/seed.iso`;
export const domainXmlPath = (r: RentalLayout) => `${VM_STATE_DIR}/${r.name}/domain.xml`;
export const serialLogPath = (r: RentalLayout) => `/var/log/libvirt/qemu/${r.domain}-serial.log`;

/** The Ceph monitors' v1 port, which QEMU's librbd speaks to. */

export function renderDomainXml(layout: VmLayout, rental: RentalLayout): string {
  const { spec } = layout;
  const kib = Math.floor(rental.memory / 1024);
  const doc = create({ version: "1.0" }).ele("domain", { type: spec.domainType });
  doc.ele("name").txt(rental.domain);
  doc.ele("uuid").txt(rental.uuid);
  doc.ele("title").txt(`${rental.name} (lent to ${rental.owner})`);
  doc.ele("memory", { unit: "KiB" }).txt(String(kib));
  doc.ele("currentMemory", { unit: "KiB" }).txt(String(kib));
  doc.ele("vcpu", { placement: "static" }).txt(String(rental.vcpus));
  const os = doc.ele("os");
  os.ele("type", { arch: "x86_64", machine: "q35" }).txt("hvm");
  if (spec.directBoot !== undefined) {
    os.ele("kernel").txt(spec.directBoot.kernel);
    os.ele("initrd").txt(spec.directBoot.initrd);
    os.ele("cmdline").txt(spec.directBoot.cmdline);
  } else {
    os.ele("boot", { dev: "hd" });
  }
  const features = doc.ele("features");
  features.ele("acpi");
  features.ele("apic");
  if (spec.domainType === "kvm") doc.ele("cpu", { mode: "host-passthrough" });
  doc.ele("on_poweroff").txt("destroy");
  doc.ele("on_reboot").txt("restart");
  doc.ele("on_crash").txt("restart");

  const devices = doc.ele("devices");
  devices.ele("emulator").txt("/usr/bin/qemu-system-x86_64");
  devices.ele("controller", { type: "scsi", index: "0", model: "virtio-scsi" });
  const disk = devices.ele("disk", { type: "network", device: "disk" });
  disk.ele("driver", { name: "qemu", type: "raw", cache: "writeback", discard: "unmap" });
  disk.ele("auth", { username: LIBVIRT_CEPH_USER }).ele("secret", { type: "ceph", uuid: layout.secretUuid });
  disk.ele("source", { protocol: "rbd", name: `${spec.pool}/${rental.image}` });
  // No <host> elements: QEMU's librbd finds the mons in the VM host's ceph.conf, which the stack keeps. So a
  // mon joining or leaving at the refresh changes no domain and restarts no VM; running VMs follow the
  // monmap as every Ceph client does.
  disk.ele("target", { dev: "sda", bus: "scsi" });
  const seed = devices.ele("disk", { type: "file", device: "cdrom" });
  seed.ele("driver", { name: "qemu", type: "raw" });
  seed.ele("source", { file: seedIsoPath(rental) });
  seed.ele("target", { dev: "sdb", bus: "scsi" });
  seed.ele("readonly");
  const nic = devices.ele("interface", { type: "bridge" });
  nic.ele("mac", { address: rental.mac });
  nic.ele("source", { bridge: spec.bridge });
  nic.ele("model", { type: "virtio" });
  const serial = devices.ele("serial", { type: "pty" });
  serial.ele("log", { file: serialLogPath(rental), append: "on" });
  serial.ele("target", { port: "0" });
  devices.ele("console", { type: "pty" }).ele("target", { type: "serial", port: "0" });
  devices.ele("memballoon", { model: "virtio" });
  return `${doc.end({ prettyPrint: true, headless: true })}\n`;
}

/** The parent every rental disk is cloned from. */
export function goldenSnapshot(layout: VmLayout): string {
  return `${layout.spec.pool}/${layout.spec.goldenImage.name}@${GOLDEN_SNAPSHOT}`;
}
