import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MASKED_UNITS, etcHostsWithPeers, renderHostCustomisation, type HostCustomisationInput } from "./host-files";
import { planFromStackText } from "./plan";

const plan = planFromStackText(readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.lab.yaml"), "utf8"), "lab");
const input = (name: string): HostCustomisationInput => ({
  plan,
  host: plan.hosts.find((h) => h.name === name) ?? plan.hosts[0],
  peers: plan.hosts,
  mirror: { archive: "http://deb.debian.org/debian", security: "http://deb.debian.org/debian-security" },
  mirrorNames: [{ name: "deb.debian.org", addresses: ["203.0.113.80", "203.0.113.81"] }],
  authorizedKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey ie-lab\n",
  suite: "trixie",
});
const file = (name: string, p: string): string => {
  const f = renderHostCustomisation(input(name)).files.find((x) => x.path === p);
  if (f === undefined) throw new Error(`${p} not rendered`);
  return f.content;
};

describe("renderHostCustomisation", () => {
  it("names the host and lists every lab host and the pinned mirror address in /etc/hosts", () => {
    expect(file("lab2", "/etc/hostname")).toBe("lab2\n");
    const hosts = file("lab2", "/etc/hosts");
    for (const line of ["10.77.0.11\tlab1", "10.77.0.12\tlab2", "10.77.0.13\tlab3", "203.0.113.80\tdeb.debian.org"]) {
      expect(hosts.split("\n")).toContain(line);
    }
    expect(hosts).not.toContain("203.0.113.81");
  });

  it("lists a host that joins from another stack file (peers), not only the plan's", () => {
    const peers = [...plan.hosts, { name: "lab4", address: "10.77.0.14" }];
    const hosts = renderHostCustomisation({ ...input("lab1"), peers }).files.find((f) => f.path === "/etc/hosts")?.content ?? "";
    expect(hosts.split("\n")).toContain("10.77.0.14\tlab4");
  });

  it("gives host0 the static address with the bridge as gateway", () => {
    const network = file("lab3", "/etc/systemd/network/10-ie-lab-host0.network");
    expect(network).toContain("Name=host0");
    expect(network).toContain("Address=10.77.0.13/24");
    expect(network).toContain("Gateway=10.77.0.1");
  });

  it("points apt at the suite, its updates and security on the mirror", () => {
    const sources = file("lab1", "/etc/apt/sources.list.d/debian.sources");
    expect(sources).toContain("URIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates");
    expect(sources).toContain("URIs: http://deb.debian.org/debian-security\nSuites: trixie-security");
    expect(renderHostCustomisation(input("lab1")).remove).toEqual(
      expect.arrayContaining(["/etc/apt/sources.list", "/etc/apt/apt.conf.d/docker-clean"]),
    );
  });

  it("makes fake GPU nodes on GPU hosts only, one per declared GPU plus nvidiactl", () => {
    const gpuNode = file("lab2", "/etc/tmpfiles.d/ie-lab-devices.conf");
    expect(gpuNode).toContain("c! /dev/nvidia0 0666 - - - 195:0\n");
    expect(gpuNode).toContain("c! /dev/nvidia1 0666 - - - 195:1\n");
    expect(gpuNode).not.toContain("/dev/nvidia2 ");
    expect(gpuNode).toContain("c! /dev/nvidiactl 0666 - - - 195:255\n");
    const plain = file("lab1", "/etc/tmpfiles.d/ie-lab-devices.conf");
    expect(plain).not.toContain("nvidia");
    for (const node of ["c! /dev/fuse 0666 - - - 10:229", "c! /dev/net/tun 0666 - - - 10:200"]) {
      expect(plain).toContain(node);
      expect(gpuNode).toContain(node);
    }
  });

  it("lets root in with the lab key only", () => {
    const c = renderHostCustomisation(input("lab1"));
    const keys = c.files.find((f) => f.path === "/root/.ssh/authorized_keys");
    expect(keys).toEqual({ path: "/root/.ssh/authorized_keys", mode: 0o600, content: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey ie-lab\n" });
    expect(c.directories).toContainEqual({ path: "/root/.ssh", mode: 0o700 });
    expect(file("lab1", "/etc/ssh/sshd_config.d/10-ie-lab.conf")).toContain("PermitRootLogin prohibit-password");
    expect(file("lab1", "/etc/ssh/sshd_config.d/10-ie-lab.conf")).toMatch(/^PerSourcePenalties no$/m);
  });

  it("regenerates SSH host keys before sshd and remounts cgroups before the daemons that need them", () => {
    const c = renderHostCustomisation(input("lab1"));
    expect(c.enable).toEqual(expect.arrayContaining(["systemd-networkd.service", "ie-lab-ssh-hostkeys.service", "ie-lab-cgroup-rw.service"]));
    const keygen = file("lab1", "/etc/systemd/system/ie-lab-ssh-hostkeys.service");
    expect(keygen).toContain("Before=ssh.service");
    expect(keygen).toContain("ExecStart=/usr/bin/ssh-keygen -A");
    const cgroupRw = file("lab1", "/etc/systemd/system/ie-lab-cgroup-rw.service");
    for (const unit of ["slurmd.service", "podman.service", "libvirtd.service", "munge.service"]) {
      expect(cgroupRw).toMatch(new RegExp(`^Before=.*\\b${unit.replace(".", "\\.")}`, "m"));
    }
    expect(cgroupRw).toContain("WantedBy=multi-user.target");
    expect(file("lab1", "/usr/local/sbin/ie-lab-cgroup-rw")).toContain("mount -o remount,bind,rw");
  });

  it("masks units that fail in nspawn, including nvmf-autoconnect", () => {
    expect(renderHostCustomisation(input("lab1")).mask).toEqual(MASKED_UNITS);
    expect(MASKED_UNITS).toContain("nvmf-autoconnect.service");
  });

  it("keeps downloaded packages (the machine's pool takes them back) and wraps no apt command", () => {
    expect(file("lab1", "/etc/apt/apt.conf.d/10ie-lab-keep-debs")).toContain('Binary::apt::APT::Keep-Downloaded-Packages "true";');
    const paths = renderHostCustomisation(input("lab1")).files.map((f) => f.path);
    expect(paths.filter((p) => p.startsWith("/usr/local/sbin/apt"))).toEqual([]);
  });

  it("gives the hosts no DNS server", () => {
    expect(file("lab1", "/etc/resolv.conf")).not.toMatch(/^nameserver/m);
  });
});

describe("etcHostsWithPeers", () => {
  const three = file("lab1", "/etc/hosts");
  const four = [...plan.hosts, { name: "lab4", address: "10.77.0.14" }];

  it("adds a host that joined to a running host's /etc/hosts and keeps the rest of the file", () => {
    const next = etcHostsWithPeers(three, four);
    expect(next).toBe(three.replace("10.77.0.13\tlab3\n", "10.77.0.13\tlab3\n10.77.0.14\tlab4\n"));
    expect(next).toContain("203.0.113.80\tdeb.debian.org");
  });

  it("drops a host that left, and changes nothing when the hosts are the same", () => {
    const withFour = etcHostsWithPeers(three, four) ?? "";
    expect(etcHostsWithPeers(withFour, plan.hosts)).toBe(three);
    expect(etcHostsWithPeers(three, plan.hosts)).toBe(three);
  });

  it("leaves a file alone that has no lab hosts section", () => {
    expect(etcHostsWithPeers("127.0.0.1\tlocalhost\n", four)).toBeUndefined();
  });
});
