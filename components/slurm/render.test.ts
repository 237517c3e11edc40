import { describe, expect, it } from "vitest";
import type { Inventory } from "../inventory/model";
import { inventorySchema } from "../inventory/schema";
import {
  MANAGED_HEADER,
  gpuDeviceFiles,
  realMemoryMiB,
  renderCgroupConf,
  renderGresConf,
  renderSlurmConf,
  slurmLayout,
} from "./render";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEM98BUdAYvt2uMJAb58fmT4lz4bKs7vmO9ijfOORkZJ";

interface HostInput {
  name: string;
  roles: string[];
  memory?: string;
  gpus?: { type: string; count: number; devicePrefix?: string };
}

/** A small department: one controller, the given compute nodes, the given slurm section. */
function inventory(hosts: HostInput[], slurm: Record<string, unknown> | undefined): Inventory {
  return inventorySchema.parse({
    site: { hostNetwork: "10.0.0.0/24" },
    hosts: hosts.map((h, i) => ({
      address: `10.0.0.${10 + i}`,
      hostKey: KEY,
      cpus: 16,
      memory: h.memory ?? "64GiB",
      ...h,
    })),
    slurm,
  });
}

const CTL: HostInput = { name: "ctl", roles: ["slurm-controller"] };
const GPU1: HostInput = { name: "gpu1", roles: ["slurm-compute"], gpus: { type: "tesla", count: 2 } };
const GPU2: HostInput = { name: "gpu2", roles: ["slurm-compute"], gpus: { type: "a100", count: 1 } };
const CPU1: HostInput = { name: "cpu1", roles: ["slurm-compute"], memory: "8GiB" };
const PARTITIONS = { partitions: [{ name: "gpu", nodes: ["gpu1", "gpu2", "cpu1"], default: true }] };
const PARTITIONS_GPU1 = { partitions: [{ name: "gpu", nodes: ["gpu1"], default: true }] };

function lines(text: string): string[] {
  return text.split("\n");
}

describe("slurmLayout", () => {
  it("finds the controller and the compute nodes in inventory order", () => {
    const layout = slurmLayout(inventory([GPU2, CTL, GPU1, CPU1], PARTITIONS));
    expect(layout.controller.name).toBe("ctl");
    expect(layout.computeNodes.map((h) => h.name)).toEqual(["gpu2", "gpu1", "cpu1"]);
    expect(layout.spec.clusterName).toBe("ie");
  });

  it.each([
    ["no slurm section", [CTL, GPU1], undefined, /no slurm: section/],
    ["no controller", [GPU1], { partitions: [{ name: "p", nodes: ["gpu1"] }] }, /role slurm-controller/],
    [
      "two controllers",
      [CTL, { name: "ctl2", roles: ["slurm-controller"] }, GPU1],
      { partitions: [{ name: "p", nodes: ["gpu1"] }] },
      /several hosts .*\(ctl, ctl2\)/,
    ],
    ["no compute node", [CTL], { partitions: [{ name: "p", nodes: ["ctl"] }] }, /role slurm-compute/],
    [
      "a partition naming a non-compute host",
      [CTL, GPU1],
      { partitions: [{ name: "p", nodes: ["gpu1", "ctl", "ghost"] }] },
      /partition 'p' lists ctl, ghost, which are not hosts with the role slurm-compute/,
    ],
  ])("refuses an inventory with %s", (_what, hosts, slurm, message) => {
    expect(() => slurmLayout(inventory(hosts, slurm))).toThrow(message);
  });
});

describe("realMemoryMiB", () => {
  it.each([
    ["128GiB", 131072 - 6554],
    ["64GiB", 65536 - 3277],
    ["16GiB", 16384 - 1024],
    ["4GiB", 3072],
    ["1GiB", 1],
  ])("declares %s as %i MiB", (memory, expected) => {
    const host = inventory([{ ...CPU1, memory }], undefined).hosts[0];
    expect(realMemoryMiB(host)).toBe(expected);
  });
});

describe("renderSlurmConf", () => {
  const layout = slurmLayout(
    inventory([CTL, GPU1, GPU2, CPU1], {
      clusterName: "dept",
      controllerPort: 7817,
      partitions: [
        { name: "gpu", nodes: ["gpu1", "gpu2"], default: true, maxTime: "3d", defaultTime: "1h", maxNodes: 2 },
        { name: "cpu", nodes: ["cpu1"] },
      ],
    }),
  );
  const conf = renderSlurmConf(layout);

  it("starts with the managed-file header", () => {
    expect(lines(conf)[0]).toBe(MANAGED_HEADER);
  });

  it.each([
    "ClusterName=dept",
    "SlurmctldHost=ctl(10.0.0.10)",
    "SlurmctldPort=7817",
    "SlurmdPort=6818",
    "AuthType=auth/munge",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core_Memory",
    "GresTypes=gpu",
    "ProctrackType=proctrack/cgroup",
    "TaskPlugin=task/cgroup,task/affinity",
    "MessageTimeout=10",
    "StateSaveLocation=/var/spool/slurmctld",
    "SlurmdSpoolDir=/var/spool/slurmd",
    "SlurmUser=slurm",
    "SlurmctldLogFile=/var/log/slurm/slurmctld.log",
    "SlurmdLogFile=/var/log/slurm/slurmd.log",
    "ReturnToService=2",
  ])("has the line %s", (line) => {
    expect(lines(conf)).toContain(line);
  });

  it("writes one node line per compute node, Gres only where there are GPUs", () => {
    expect(lines(conf).filter((l) => l.startsWith("NodeName="))).toEqual([
      "NodeName=gpu1 NodeAddr=10.0.0.11 CPUs=16 RealMemory=62259 Gres=gpu:tesla:2 State=UNKNOWN",
      "NodeName=gpu2 NodeAddr=10.0.0.12 CPUs=16 RealMemory=62259 Gres=gpu:a100:1 State=UNKNOWN",
      "NodeName=cpu1 NodeAddr=10.0.0.13 CPUs=16 RealMemory=7168 State=UNKNOWN",
    ]);
  });

  it("writes partitions with Slurm times, and unlimited where the inventory sets no limit", () => {
    expect(lines(conf).filter((l) => l.startsWith("PartitionName="))).toEqual([
      "PartitionName=gpu Nodes=gpu1,gpu2 Default=YES MaxTime=3-00:00:00 DefaultTime=01:00:00 MaxNodes=2 State=UP",
      "PartitionName=cpu Nodes=cpu1 Default=NO MaxTime=UNLIMITED MaxNodes=UNLIMITED State=UP",
    ]);
  });

  it("keeps the groups in a fixed order: settings, nodes, partitions", () => {
    const at = (prefix: string) => lines(conf).findIndex((l) => l.startsWith(prefix));
    expect(at("ClusterName=")).toBeLessThan(at("SelectType="));
    expect(at("SelectType=")).toBeLessThan(at("NodeName="));
    expect(at("NodeName=")).toBeLessThan(at("PartitionName="));
  });

  it("grants no operator and hides nothing: no PrivateData, no AccountingStorage", () => {
    expect(conf).not.toMatch(/^PrivateData=/m);
    expect(conf).not.toMatch(/^AccountingStorage/m);
  });

  it("trusts the node lines only when the inventory says configOverrides", () => {
    expect(conf).not.toContain("SlurmdParameters=config_overrides");
    const overriding = slurmLayout(inventory([CTL, GPU1], { configOverrides: true, ...PARTITIONS_GPU1 }));
    expect(lines(renderSlurmConf(overriding))).toContain("SlurmdParameters=config_overrides");
  });

  it("is the same text every time", () => {
    expect(renderSlurmConf(layout)).toBe(conf);
  });
});

describe("renderGresConf", () => {
  it("lists each GPU node's devices; a single GPU is one file, not a range", () => {
    const withPrefix: HostInput = { ...GPU2, gpus: { type: "a100", count: 1, devicePrefix: "/dev/gpu" } };
    const layout = slurmLayout(inventory([CTL, GPU1, withPrefix, CPU1], PARTITIONS));
    expect(lines(renderGresConf(layout))).toEqual([
      MANAGED_HEADER,
      expect.stringMatching(/^# /),
      "NodeName=gpu1 Name=gpu Type=tesla File=/dev/nvidia[0-1]",
      "NodeName=gpu2 Name=gpu Type=a100 File=/dev/gpu0",
      "# cpu1: no GPUs",
      "",
    ]);
  });

  it.each([
    [1, "/dev/nvidia0"],
    [2, "/dev/nvidia[0-1]"],
    [8, "/dev/nvidia[0-7]"],
  ])("names %i GPUs %s", (count, files) => {
    expect(gpuDeviceFiles({ type: "tesla", count, devicePrefix: "/dev/nvidia" })).toBe(files);
  });
});

describe("renderCgroupConf", () => {
  it("confines devices, cores and memory with the detected cgroup version", () => {
    const conf = renderCgroupConf(slurmLayout(inventory([CTL, GPU1], PARTITIONS_GPU1)));
    expect(lines(conf)[0]).toBe(MANAGED_HEADER);
    expect(lines(conf).filter((l) => !l.startsWith("#") && l !== "")).toEqual([
      "CgroupPlugin=autodetect",
      "ConstrainDevices=yes",
      "ConstrainCores=yes",
      "ConstrainRAMSpace=yes",
    ]);
  });
});
