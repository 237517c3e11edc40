import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labStackPath } from "./paths";
import { LAB_BRIDGE, LabPlanError, firstAddress, labHostKeyFile, loadLabPlan, planFromStackText } from "./plan";
import { FOURTH_HOST, fourHostLabStack, withHost } from "./stack-fixtures";

const labStack = readFileSync(labStackPath(), "utf8");
const plus = (host: Record<string, unknown>): string => withHost(labStack, { ...FOURTH_HOST, ...host });
const scratch = mkdtempSync(path.join(tmpdir(), "lab-plan-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("planFromStackText", () => {
  it("reads the lab stack: three hosts on 10.77.0.0/24 behind the bridge at 10.77.0.1", () => {
    const plan = planFromStackText(labStack, "stacks/Pulumi.lab.yaml");
    expect(plan.source).toBe("stacks/Pulumi.lab.yaml");
    expect(plan.subnet).toBe("10.77.0.0/24");
    expect(plan.prefixLength).toBe(24);
    expect(plan.gateway).toBe("10.77.0.1");
    expect(plan.bridge).toBe(LAB_BRIDGE);
    expect(plan.hosts.map((h) => [h.name, h.address, h.hostKeyFile])).toEqual([
      ["lab1", "10.77.0.11", ".lab/hostkeys/lab1.pub"],
      ["lab2", "10.77.0.12", ".lab/hostkeys/lab2.pub"],
      ["lab3", "10.77.0.13", ".lab/hostkeys/lab3.pub"],
    ]);
    expect(plan.hosts[0].roles).toContain("slurm-controller");
  });

  it("names the rental owners' key files the lab makes (inside .lab/userkeys/ only) and where the guest image goes", () => {
    expect(planFromStackText(labStack, "lab").ownerKeys).toEqual([
      { owner: "alice", file: ".lab/userkeys/alice.pub" },
      { owner: "bob", file: ".lab/userkeys/bob.pub" },
    ]);
    const elsewhere = labStack.replace("file:.lab/userkeys/bob.pub", "file:keys/bob.pub");
    expect(planFromStackText(elsewhere, "lab").ownerKeys.map((k) => k.owner)).toEqual(["alice"]);
    expect(planFromStackText(labStack, "lab").goldenImage).toEqual({
      image: "/var/lib/ie/images/lab-golden.raw",
      kernel: "/var/lib/ie/images/lab-vmlinuz",
      initrd: "/var/lib/ie/images/lab-initrd.img",
    });
  });

  it("keeps the GPUs of GPU nodes (with the default device prefix) and none elsewhere", () => {
    const plan = planFromStackText(labStack, "lab");
    expect(plan.hosts[0].gpus).toBeUndefined();
    expect(plan.hosts[1].gpus).toEqual({ type: "tesla", count: 2, devicePrefix: "/dev/nvidia" });
  });

  it("reads a file with a fourth host, its GPUs and the key file it names", () => {
    const plan = planFromStackText(fourHostLabStack(), "grow.yaml");
    expect(plan.hosts.map((h) => h.name)).toEqual(["lab1", "lab2", "lab3", "lab4"]);
    expect(plan.hosts[3]).toEqual({
      name: "lab4",
      address: "10.77.0.14",
      roles: ["slurm-compute", "container-host"],
      gpus: { type: "tesla", count: 2, devicePrefix: "/dev/nvidia" },
      hostKeyFile: ".lab/hostkeys/lab4.pub",
    });
    expect(plan.subnet).toBe("10.77.0.0/24");
  });

  it("pins a key in the .lab/hostkeys/ file the stack names, whatever its name", () => {
    const plan = planFromStackText(plus({ hostKey: "file:./.lab/hostkeys/refresh-2026/lab4.pub" }), "grow.yaml");
    expect(plan.hosts[3].hostKeyFile).toBe(".lab/hostkeys/refresh-2026/lab4.pub");
  });

  it("refuses host keys the lab cannot pin: an inline key, a file outside .lab/hostkeys/, one file for two hosts", () => {
    const inline = plus({ hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey lab4" });
    expect(() => planFromStackText(inline, "g.yaml")).toThrow(/host lab4: hostKey is a key, .*write hostKey: file:\.lab\/hostkeys\/lab4\.pub/);
    for (const outside of ["file:stacks/lab4.pub", "file:.lab/ssh/lab4.pub", "file:.lab/hostkeys/../../lab4.pub", "file:/etc/ssh/ie-lab4.pub", "file:.lab/hostkeys/lab4"]) {
      expect(() => planFromStackText(plus({ hostKey: outside }), "g.yaml"), outside).toThrow(/host lab4: hostKey .* is not a \.pub file in \.lab\/hostkeys\//);
    }
    expect(() => planFromStackText(plus({ hostKey: "file:.lab/hostkeys/lab3.pub" }), "g.yaml")).toThrow(/host lab4: hostKey file:\.lab\/hostkeys\/lab3\.pub is lab3's too/);
  });

  it("refuses a host outside the stack's network with the loader's file:line:column and field", () => {
    const text = plus({ address: "10.78.0.14" });
    expect(() => planFromStackText(text, "grow.yaml")).toThrow(LabPlanError);
    expect(() => planFromStackText(text, "grow.yaml")).toThrow(/grow\.yaml:\d+:\d+: error: hosts\[3\]\.address: 10\.78\.0\.14 is outside the host network 10\.77\.0\.0\/24/);
  });

  it("refuses a host that takes the bridge's address", () => {
    expect(() => planFromStackText(plus({ address: "10.77.0.1" }), "s.yaml")).toThrow(/host lab4: address 10\.77\.0\.1 is the bridge's/);
  });

  it("reports schema problems as the project's loader does: file, line, field", () => {
    const text = plus({ address: "nope" });
    expect(() => planFromStackText(text, "s.yaml")).toThrow(/^s\.yaml does not validate/);
    expect(() => planFromStackText(text, "s.yaml")).toThrow(/s\.yaml:\d+:\d+: error: hosts\[3\]\.address: must be an IPv4 address/);
    expect(() => planFromStackText(withHost(labStack, { ...FOURTH_HOST, colour: "red" }), "s.yaml")).toThrow(/hosts\[3\].*colour/);
  });

  it("reports broken YAML and a missing config section", () => {
    expect(() => planFromStackText("config: [", "bad.yaml")).toThrow(/bad\.yaml:1:\d+: error: invalid YAML/);
    expect(() => planFromStackText("encryptionsalt: x\n", "e.yaml")).toThrow(/e\.yaml:1:1: error: a stack file needs 'config:'/);
  });
});

describe("loadLabPlan", () => {
  it("names a missing file", () => {
    const missing = path.join(scratch, "nope.yaml");
    expect(() => loadLabPlan(missing)).toThrow(LabPlanError);
    expect(() => loadLabPlan(missing)).toThrow(`${missing}: cannot read the stack file: no such file`);
  });

  it("names a file that fails the schema, with its line", () => {
    const file = path.join(scratch, "bad.yaml");
    writeFileSync(file, plus({ memory: "lots" }));
    expect(() => loadLabPlan(file)).toThrow(new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: error: hosts\\[3\\]\\.memory`));
  });

  it("reads the lab stack by default, named relative to the project", () => {
    expect(loadLabPlan().source).toBe(path.join("stacks", "Pulumi.lab.yaml"));
  });
});

describe("labHostKeyFile", () => {
  it.each([
    ["file:.lab/hostkeys/lab4.pub", ".lab/hostkeys/lab4.pub"],
    ["file:.lab/hostkeys/a/b.pub", ".lab/hostkeys/a/b.pub"],
  ])("%s pins in %s", (hostKey, file) => {
    expect(labHostKeyFile("lab4", hostKey)).toEqual({ file });
  });
});

describe("firstAddress", () => {
  it.each([
    ["10.77.0.0/24", "10.77.0.1"],
    ["10.77.0.130/25", "10.77.0.129"],
    ["192.168.4.0/22", "192.168.4.1"],
    ["172.16.255.0/16", "172.16.0.1"],
  ])("%s -> %s", (cidr, first) => {
    expect(firstAddress(cidr)).toBe(first);
  });
});
