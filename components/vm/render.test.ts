/**
 * VM rental's renderers on the production and lab stacks: domain and secret XML checked by libvirt's own
 * schema (virt-xml-validate), the cloud-init seed read back as YAML.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../host/scripts";
import { loadStackFile } from "../inventory/load";
import { renderMetaData, renderNetworkConfig, renderUserData } from "./render-cloudinit";
import { domainXmlPath, goldenSnapshot, renderDomainXml, seedIsoPath } from "./render-domain";
import { qemuConfLines, renderBridgeNetdev, renderBridgeNetwork, renderSecretXml } from "./render-host";
import { macFor, uuidFor, vmLayout } from "./render-layout";

function layoutOf(name: string) {
  const { inventory, diagnostics } = loadStackFile(path.join(PROJECT_ROOT, "stacks", `Pulumi.${name}.yaml`), { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
  if (inventory === undefined) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return vmLayout(inventory);
}
const prod = layoutOf("ie");
const lab = layoutOf("lab");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-xml-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function validate(kind: "domain" | "secret", xml: string): { status: number | null; output: string } {
  const file = path.join(dir, `${kind}-${Math.random().toString(16).slice(2)}.xml`);
  fs.writeFileSync(file, xml);
  const r = spawnSync("virt-xml-validate", [file, kind], { encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("rentals", () => {
  it("take the VM defaults unless they say otherwise", () => {
    const alice = prod.rentals.find((r) => r.name === "alice-dev");
    const frank = prod.rentals.find((r) => r.name === "frank-ml");
    expect(alice).toMatchObject({ vcpus: 1, memory: 1024 ** 3, disk: 10 * 1024 ** 3, domain: "rental-alice-dev", image: "rental-alice-dev", prefix: 22, gateway: "10.20.0.1" });
    expect(frank).toMatchObject({ vcpus: 4, memory: 8 * 1024 ** 3, disk: 50 * 1024 ** 3 });
  });

  it("get identifiers that depend only on their name", () => {
    expect(uuidFor("rental:alice-dev")).toBe(uuidFor("rental:alice-dev"));
    expect(uuidFor("rental:alice-dev")).not.toBe(uuidFor("rental:bob-dev"));
    expect(macFor("alice-dev")).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(new Set(prod.rentals.map((r) => r.mac)).size).toBe(prod.rentals.length);
  });
});

describe("domain XML", () => {
  it.each(prod.rentals.map((r) => [r.name, r] as const))("%s is valid for libvirt's schema", (_name, rental) => {
    const r = validate("domain", renderDomainXml(prod, rental));
    expect(r.output).toMatch(/validates/);
    expect(r.status).toBe(0);
  });

  it("puts the disk on RBD over virtio-scsi with discard, authenticated by the ceph secret", () => {
    const xml = renderDomainXml(prod, prod.rentals[0]);
    expect(xml).toContain(`<domain type="kvm">`);
    expect(xml).toContain(`<controller type="scsi" index="0" model="virtio-scsi"/>`);
    expect(xml).toContain(`<driver name="qemu" type="raw" cache="writeback" discard="unmap"/>`);
    expect(xml).toContain(`<source protocol="rbd" name="vms/rental-alice-dev"/>`);
    // The mons come from the VM host's ceph.conf: a mon change at the refresh touches no domain.
    expect(xml).not.toContain("<host ");
    expect(xml).toContain(`<secret type="ceph" uuid="${prod.secretUuid}"/>`);
    expect(xml).toContain(`<target dev="sda" bus="scsi"/>`);
    expect(xml).toContain("<acpi/>");
    expect(xml).toContain(`<source file="${seedIsoPath(prod.rentals[0])}"/>`);
    expect(xml).toContain(`<cpu mode="host-passthrough"/>`);
    expect(xml).toMatch(/<serial type="pty">\s*<log file="\/var\/log\/libvirt\/qemu\/rental-alice-dev-serial.log" append="on"\/>/);
    expect(xml).toContain("<memory unit=\"KiB\">1048576</memory>");
    expect(domainXmlPath(prod.rentals[0])).toBe("/var/lib/ie/vms/alice-dev/domain.xml");
  });

  it("boots the lab's image with TCG and a kernel from the host, still valid", () => {
    const rental = lab.rentals[0];
    if (rental === undefined) throw new Error("the lab stack has no rental");
    const xml = renderDomainXml(lab, rental);
    expect(xml).toContain(`<domain type="qemu">`);
    expect(xml).toMatch(/<kernel>\/var\/lib\/ie\/images\/[^<]+<\/kernel>/);
    expect(xml).not.toContain("host-passthrough");
    expect(validate("domain", xml).status).toBe(0);
  });

  it("escapes what it is given (an owner's name ends up in the title)", () => {
    const odd = { ...prod.rentals[0], owner: "o'<&>" };
    expect(validate("domain", renderDomainXml(prod, odd)).status).toBe(0);
  });

  it("clones rentals from the golden image's protected snapshot", () => {
    expect(goldenSnapshot(prod)).toBe("vms/debian-13-golden@golden");
  });
});

describe("the VM host", () => {
  it("defines a ceph-usage libvirt secret libvirt's schema accepts, holding no key", () => {
    const xml = renderSecretXml(prod);
    expect(validate("secret", xml).status).toBe(0);
    expect(xml).toContain("<usage type=\"ceph\">");
    expect(xml).not.toMatch(/AQ[A-Za-z0-9+/]{30,}/);
  });

  it("makes the bridge and writes qemu.conf settings in libvirt's syntax", () => {
    expect(renderBridgeNetdev(prod)).toContain("Name=br-vm\nKind=bridge\n");
    expect(qemuConfLines(lab)).toEqual(["cgroup_controllers = [  ]"]);
  });

  it("gives the bridge the gateway address only where the VM host routes its guests", () => {
    expect(renderBridgeNetwork(prod)).not.toContain("Address=");
    expect(renderBridgeNetwork(lab)).toContain("[Network]\nConfigureWithoutCarrier=yes\nLinkLocalAddressing=no\nAddress=10.77.8.1/24\n");
  });
});

describe("cloud-init seed", () => {
  const r = prod.rentals[0];
  it("creates the owner's account with their key and no password login", () => {
    const text = renderUserData(r);
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const data = parse(text) as { users: { name: string; ssh_authorized_keys: string[]; lock_passwd: boolean }[]; ssh_pwauth: boolean };
    expect(data.users[0]).toMatchObject({ name: "alice", lock_passwd: true, ssh_authorized_keys: [r.sshKey] });
    expect(data.ssh_pwauth).toBe(false);
  });

  it("gives the static address with the network's prefix and gateway, on the NIC with the rental's MAC", () => {
    expect(parse(renderNetworkConfig(r))).toEqual({
      version: 2,
      ethernets: { primary: { match: { macaddress: r.mac }, "set-name": "eth0", addresses: ["10.20.0.10/22"], routes: [{ to: "0.0.0.0/0", via: "10.20.0.1" }] } },
    });
    expect(parse(renderMetaData(r))).toEqual({ "instance-id": r.uuid, "local-hostname": "alice-dev" });
  });
});
