/**
 * The `program` part: how long the program takes to evaluate under the mock runtime as the department
 * grows (the part of `pulumi preview/up` that is ours), and how big the state it leaves is. Target
 * (DESIGN.md, section 7): a 50-host stack in under 5 s.
 *
 * 3 hosts is the lab stack (every subsystem on 3 hosts); larger sizes are the production stack grown with
 * GPU nodes (each a Slurm compute node and container host with 2 tesla GPUs). BENCH_PROGRAM_HOSTS
 * (comma-separated) chooses the sizes: the unit suite's smoke test uses small ones.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { setUpMockStack, unwrapSecrets, type MockStack } from "../../test/support/mocks";
import type { BenchPart, PartResult, Row } from "../types";

/** Host counts measured unless BENCH_PROGRAM_HOSTS says otherwise. */
export const DEFAULT_SIZES: readonly number[] = [3, 50, 200];
/** Hosts of the lab stack, the smallest stack that has every subsystem. */
const LAB_SIZE = 3;

interface YamlHost {
  readonly name: string;
  readonly roles: readonly string[];
  readonly [key: string]: unknown;
}

interface IeStack {
  readonly site: Readonly<Record<string, unknown>>;
  readonly hosts: readonly YamlHost[];
  readonly slurm: { readonly partitions: readonly { readonly name: string; readonly nodes: readonly string[] }[] } & Readonly<Record<string, unknown>>;
}

function ieStack(): IeStack {
  const config = (parse(readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.ie.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
  return { site: config["ie:site"] as IeStack["site"], hosts: config["ie:hosts"] as YamlHost[], slurm: config["ie:slurm"] as IeStack["slurm"] };
}

/** The production stack with GPU nodes added until it has `total` hosts. */
function grown(ie: IeStack, total: number): Record<string, unknown> {
  const template = ie.hosts.find((h) => h.roles.includes("slurm-compute"));
  if (template === undefined) throw new Error("the ie stack has no compute node to copy");
  const extra = Array.from({ length: total - ie.hosts.length }, (_, i) => ({
    ...template,
    name: `bench${i + 1}`,
    // From 10.10.1.1 up, in the host network widened to a /16: a /24 holds too few for 200 hosts.
    address: `10.10.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
  }));
  const hosts = [...ie.hosts, ...extra];
  const compute = hosts.filter((h) => h.roles.includes("slurm-compute")).map((h) => h.name);
  return { site: { ...ie.site, hostNetwork: "10.10.0.0/16" }, hosts, slurm: { ...ie.slurm, partitions: ie.slurm.partitions.map((p, i) => (i === 0 ? { ...p, nodes: compute } : p)) } };
}

/**
 * The lab stack with its keys inline: the stack file names key files that only `npm run lab -- up` makes,
 * and this part must not need the lab. The production stack's host key stands in for every key.
 */
function labOverride(ie: IeStack): Record<string, unknown> {
  const config = (parse(readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.lab.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
  const key = String(ie.hosts[0].hostKey).split(" ").slice(0, 2).join(" ");
  const hosts = (config["ie:hosts"] as YamlHost[]).map((h) => ({ ...h, hostKey: `${key} ${h.name}` }));
  const vms = config["ie:vms"] as { readonly rentals: readonly Readonly<Record<string, unknown>>[] };
  return { hosts, vms: { ...vms, rentals: vms.rentals.map((r) => ({ ...r, sshKey: `${key} ${String(r.owner)}@lab` })) } };
}

/** Host counts from BENCH_PROGRAM_HOSTS ("3,12"), or the defaults. */
export function sizesFromEnv(value: string | undefined): readonly number[] {
  if (value === undefined || value.trim() === "") return DEFAULT_SIZES;
  return value.split(",").map((word) => {
    const n = Number(word.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_PROGRAM_HOSTS: '${word}' is not a positive whole number of hosts`);
    return n;
  });
}

/** Bytes of the resources as a state file keeps them: type, name, inputs and outputs, secrets unwrapped. */
export function stateBytes(stack: MockStack): number {
  const resources = stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: unwrapSecrets(r.inputs), outputs: unwrapSecrets(r.state ?? {}) }));
  return Buffer.byteLength(JSON.stringify({ resources }));
}

async function evaluate(total: number, ie: IeStack): Promise<{ resources: number; seconds: number; bytes: number }> {
  let stack: MockStack;
  if (total === LAB_SIZE) stack = await setUpMockStack({ stack: "lab", override: labOverride(ie) });
  else if (total >= ie.hosts.length) stack = await setUpMockStack({ stack: "ie", override: grown(ie, total) });
  else throw new Error(`program: ${total} hosts: sizes are ${LAB_SIZE} (the lab stack) or at least ${ie.hosts.length} (the ie stack, grown)`);
  const { runProgram } = await import("../../components/program");
  const started = process.hrtime.bigint();
  await stack.run(runProgram);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { resources: stack.resources.length, seconds, bytes: stateBytes(stack) };
}

export const programPart: BenchPart = {
  name: "program",
  description: "Evaluation time of the Pulumi program under the mock runtime, and the size of the state it leaves, by number of hosts.",
  needsLab: false,
  async run(ctx): Promise<PartResult> {
    const sizes = sizesFromEnv(process.env.BENCH_PROGRAM_HOSTS);
    const ie = ieStack();
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // promise stack capture is most of the mock runtime's cost (DESIGN.md, section 6)
    try {
      await evaluate(sizes[0], ie); // warm-up: module loading is not what we measure
      const seconds: Row[] = [];
      const bytes: Row[] = [];
      for (const total of sizes) {
        const times: number[] = [];
        const sizesSeen: number[] = [];
        let resources = 0;
        for (let run = 0; run < ctx.runs; run++) {
          const r = await evaluate(total, ie);
          ctx.log(`program: ${total} hosts, ${r.resources} resources: ${r.seconds.toFixed(2)} s, ${r.bytes} bytes of state`);
          times.push(r.seconds);
          sizesSeen.push(r.bytes);
          resources = r.resources;
        }
        const label = `${total} hosts`;
        const note = `${resources} resources${total === LAB_SIZE ? ", the lab stack" : ""}`;
        seconds.push({ label, samples: times, note: total === 50 ? `${note}; goal < 5 s` : note });
        bytes.push({ label, samples: sizesSeen, note });
      }
      return {
        tables: [
          { title: "Evaluation time under the mock runtime", unit: "s", reference: seconds[0].label, rows: seconds },
          { title: "Serialized state (inputs and outputs of every resource)", unit: "bytes", reference: bytes[0].label, rows: bytes },
        ],
        plots: [
          {
            id: "program-seconds",
            title: "Program evaluation time by stack size",
            xLabel: "hosts",
            yLabel: "seconds",
            series: [{ label: "evaluation", points: sizes.map((x, i) => ({ x, samples: seconds[i].samples })) }],
          },
        ],
        notes: [
          `Stacks: ${LAB_SIZE} hosts is the lab stack; larger ones are the production stack (${ie.hosts.length} hosts) grown with GPU nodes (Slurm compute and container host, 2 tesla GPUs each). VM rentals are not counted as hosts.`,
          "Time is the program's run under the mock runtime with Error.stackTraceLimit = 0, after one warm-up evaluation; the state size is the JSON of every resource's type, name, URN, inputs and outputs with secrets unwrapped, as a state file would hold them.",
        ],
        versions: { "@pulumi/pulumi": pulumiVersion() },
      };
    } finally {
      Error.stackTraceLimit = saved;
    }
  },
};

function pulumiVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
