import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LAB_BRIDGE, LabPlanError, firstAddress, planFromStackText } from "./plan";

const labStack = readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.lab.yaml"), "utf8");

const minimal = (hosts: string, network = "10.77.0.0/24"): string => `
config:
  aws:region: eu-west-1
  ie:site:
    hostNetwork: ${network}
  ie:hosts:
${hosts}
`;

describe("planFromStackText", () => {
  it("reads the lab stack: three hosts on 10.77.0.0/24 behind the bridge at 10.77.0.1", () => {
    const plan = planFromStackText(labStack, "stacks/Pulumi.lab.yaml");
    expect(plan.subnet).toBe("10.77.0.0/24");
    expect(plan.prefixLength).toBe(24);
    expect(plan.gateway).toBe("10.77.0.1");
    expect(plan.bridge).toBe(LAB_BRIDGE);
    expect(plan.hosts.map((h) => [h.name, h.address])).toEqual([
      ["lab1", "10.77.0.11"],
      ["lab2", "10.77.0.12"],
      ["lab3", "10.77.0.13"],
    ]);
    expect(plan.hosts[0].roles).toContain("slurm-controller");
  });

  it("keeps the GPUs of GPU nodes (with the default device prefix) and none elsewhere", () => {
    const plan = planFromStackText(labStack, "lab");
    expect(plan.hosts[0].gpus).toBeUndefined();
    expect(plan.hosts[1].gpus).toEqual({ type: "tesla", count: 2, devicePrefix: "/dev/nvidia" });
  });

  it("accepts hostKey file: references before any key exists and ignores other namespaces", () => {
    const plan = planFromStackText(
      minimal("    - { name: a1, address: 10.77.0.5, hostKey: 'file:.lab/hostkeys/a1.pub', roles: [vm-host], cpus: 1, memory: 1GiB }"),
      "x",
    );
    expect(plan.hosts).toHaveLength(1);
  });

  it("refuses a host outside the lab subnet, naming the host", () => {
    const text = minimal("    - { name: far, address: 10.78.0.5, hostKey: 'file:k', roles: [vm-host], cpus: 1, memory: 1GiB }");
    expect(() => planFromStackText(text, "s.yaml")).toThrow(/far: address 10\.78\.0\.5 is outside the lab subnet 10\.77\.0\.0\/24/);
  });

  it("refuses a host that takes the bridge's address", () => {
    const text = minimal("    - { name: gw, address: 10.77.0.1, hostKey: 'file:k', roles: [vm-host], cpus: 1, memory: 1GiB }");
    expect(() => planFromStackText(text, "s.yaml")).toThrow(/gw: address 10\.77\.0\.1 is the bridge's/);
  });

  it("reports schema problems with the ie: key path", () => {
    const text = minimal("    - { name: a1, address: nope, hostKey: 'file:k', roles: [vm-host], cpus: 1, memory: 1GiB }");
    expect(() => planFromStackText(text, "s.yaml")).toThrow(LabPlanError);
    expect(() => planFromStackText(text, "s.yaml")).toThrow(/ie:hosts\.0\.address/);
  });

  it("reports broken YAML and a missing config section", () => {
    expect(() => planFromStackText("config: [", "bad.yaml")).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => planFromStackText("encryptionsalt: x\n", "e.yaml")).toThrow(/no 'config:' section/);
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
