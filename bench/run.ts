/**
 * `npm run bench`: how long the program takes to evaluate under the mock runtime as the department grows,
 * i.e. the part of `pulumi preview/up` that is ours. The production stack's hosts are kept and GPU nodes are
 * added (each: Slurm compute + container host, 2 tesla GPUs) up to 50 hosts. Target (DESIGN.md): a 50-host
 * stack in under 5 s. VM rentals are not declared by the program yet, so they are not in the count.
 * Prints a table: hosts, resources, seconds, milliseconds per resource.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../components/host/scripts";
import { setUpMockStack } from "../test/support/mocks";

interface YamlHost {
  name: string;
  address: string;
  roles: string[];
  [key: string]: unknown;
}

const config = (parse(readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.ie.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
const baseHosts = config["ie:hosts"] as YamlHost[];
const slurm = config["ie:slurm"] as { partitions: { name: string; nodes: string[] }[] } & Record<string, unknown>;
const template = baseHosts.find((h) => h.roles.includes("slurm-compute"));
if (template === undefined) throw new Error("the ie stack has no compute node to copy");
const hostKey = String(template.hostKey);

/** The production stack with GPU nodes added until it has `total` hosts. */
function grown(total: number): Record<string, unknown> {
  const extra = Array.from({ length: Math.max(0, total - baseHosts.length) }, (_, i) => ({
    ...template,
    name: `bench${i + 1}`,
    address: `10.10.0.${100 + i}`,
    hostKey,
  }));
  const compute = [...baseHosts, ...extra].filter((h) => (h.roles as string[]).includes("slurm-compute")).map((h) => h.name);
  return {
    hosts: [...baseHosts, ...extra],
    slurm: { ...slurm, partitions: slurm.partitions.map((p, i) => (i === 0 ? { ...p, nodes: compute } : p)) },
  };
}

async function evaluate(total: number): Promise<{ resources: number; seconds: number }> {
  const stack = await setUpMockStack({ stack: "ie", override: grown(total) });
  const { runProgram } = await import("../components/program");
  const started = process.hrtime.bigint();
  await stack.run(runProgram);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { resources: stack.resources.length, seconds };
}

async function main(): Promise<void> {
  Error.stackTraceLimit = 0; // promise stack capture is most of the mock runtime's cost (DESIGN.md, section 6)
  await evaluate(baseHosts.length); // warm-up: module loading is not what we measure
  console.log("hosts  resources  seconds  ms/resource");
  let worst = 0;
  for (const total of [baseHosts.length, 20, 35, 50]) {
    const { resources, seconds } = await evaluate(total);
    if (total === 50) worst = seconds;
    console.log(`${String(total).padStart(5)}  ${String(resources).padStart(9)}  ${seconds.toFixed(2).padStart(7)}  ${((seconds * 1000) / resources).toFixed(2).padStart(11)}`);
  }
  console.log(`50 hosts in ${worst.toFixed(2)} s (target < 5 s): ${worst < 5 ? "met" : "MISSED"}`);
}

void main();
