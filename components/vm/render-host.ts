/**
 * A VM host's own files: the libvirt secret that holds client.libvirt's key (its definition; the value is
 * set from the keyring on the host, never on a command line), the VM bridge as systemd-networkd files, and
 * the inventory's qemu.conf settings. Pure.
 */
import { create } from "xmlbuilder2";
import { LIBVIRT_CEPH_USER, type VmLayout } from "./render-layout";

export function renderSecretXml(layout: VmLayout): string {
  const doc = create().ele("secret", { ephemeral: "no", private: "yes" });
  doc.ele("uuid").txt(layout.secretUuid);
  doc.ele("description").txt(`Ceph client.${LIBVIRT_CEPH_USER} key for rental VM disks`);
  doc.ele("usage", { type: "ceph" }).ele("name").txt(`client.${LIBVIRT_CEPH_USER} secret`);
  return `${doc.end({ prettyPrint: true, headless: true })}\n`;
}

/** systemd-networkd: the bridge VMs attach to (an admin adds the uplink port in production). */
export function renderBridgeNetdev(layout: VmLayout): string {
  return ["# Managed by ie-infra: the bridge of the rental VMs.", "[NetDev]", `Name=${layout.spec.bridge}`, "Kind=bridge", ""].join("\n");
}

/** The bridge's network: no address of its own, or the VM network's gateway when the VM host routes its guests. */
export function renderBridgeNetwork(layout: VmLayout): string {
  const address = layout.spec.gatewayOnHost ? [`Address=${layout.gateway}/${layout.prefix}`] : [];
  return ["# Managed by ie-infra.", "[Match]", `Name=${layout.spec.bridge}`, "", "[Network]", "ConfigureWithoutCarrier=yes", "LinkLocalAddressing=no", ...address, ""].join("\n");
}

/** `key = value` lines for qemu.conf, in libvirt's syntax (strings quoted, lists in brackets). */
export function qemuConfLines(layout: VmLayout): string[] {
  const quote = (v: string) => JSON.stringify(v);
  return Object.entries(layout.spec.qemuConf).map(([key, value]) => {
    const text = typeof value === "number" ? String(value) : typeof value === "string" ? quote(value) : `[ ${value.map(quote).join(", ")} ]`;
    return `${key} = ${text}`;
  });
}
