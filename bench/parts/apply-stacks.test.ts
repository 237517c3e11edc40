import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { loadStackText } from "../../components/inventory/load";
import { slurmOnlyStack } from "./apply-stacks";

const labStack = readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.lab.yaml"), "utf8");

describe("the apply part's Slurm-only stack", () => {
  it("is a valid stack with a controller and one GPU node, and nothing but Slurm", () => {
    const { inventory, diagnostics } = loadStackText(slurmOnlyStack(labStack), "slurm-only.yaml", { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(inventory?.hosts.map((h) => [h.name, h.roles])).toEqual([
      ["lab5", ["slurm-controller"]],
      ["lab6", ["slurm-compute"]],
    ]);
    expect(inventory?.ceph).toBeUndefined();
    expect(inventory?.vms).toBeUndefined();
    expect(inventory?.containers).toBeUndefined();
    expect(inventory?.slurm?.partitions.map((p) => p.nodes)).toEqual([["lab6"]]);
  });

  it("changes the message timeout alone for the reconfigure run", () => {
    const before = loadStackText(slurmOnlyStack(labStack), "a.yaml", { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" }).inventory;
    const after = loadStackText(slurmOnlyStack(labStack, 11), "b.yaml", { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" }).inventory;
    expect(after?.slurm?.messageTimeout).toBe(11);
    expect({ ...after?.slurm, messageTimeout: before?.slurm?.messageTimeout }).toEqual(before?.slurm);
  });
});
