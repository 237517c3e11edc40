/**
 * Slurm's own parser on the rendered files: `slurmd -G -N <node> -f <dir>/slurm.conf` reads slurm.conf,
 * cgroup.conf and gres.conf from that directory exactly as slurmd does at start, prints the GPUs it would
 * offer and exits, without contacting anyone. Unknown keys, bad values and a gres.conf that does not fit
 * the node are fatal there.
 *
 * The GPU device files do not exist on a test machine (slurmd waits for them): see withStandInDevices.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCgroupConf, renderGresConf, renderSlurmConf, slurmLayout } from "./render";
import type { SlurmLayout } from "./render";
import { stackInventory } from "./testdata/stack-inventory";

const SLURMD = "/usr/sbin/slurmd";
const MISSING =
  `${SLURMD} is missing: install Debian's slurmd package (apt-get install --no-install-recommends slurmd); ` +
  "CI installs it before the tests (test/setup/prerequisites.ts)";

let workDir = "";

beforeAll(() => {
  const probe = spawnSync(SLURMD, ["-V"], { encoding: "utf8" });
  if (probe.error !== undefined) throw new Error(MISSING);
  workDir = mkdtempSync(join(tmpdir(), "slurm-parse-"));
});

afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

interface ParseResult {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Points gres.conf at links to /dev/null standing in for each node's GPUs: the same text apart from the
 * directory of the device files.
 */
function withStandInDevices(layout: SlurmLayout, gres: string, devices: string): string {
  mkdirSync(devices, { recursive: true });
  let text = gres;
  for (const host of layout.computeNodes) {
    if (host.gpus === undefined) continue;
    const { devicePrefix, count } = host.gpus;
    const standIn = join(devices, basename(devicePrefix));
    for (let i = 0; i < count; i += 1) {
      if (!existsSync(`${standIn}${i}`)) symlinkSync("/dev/null", `${standIn}${i}`);
    }
    text = text.split(`File=${devicePrefix}`).join(`File=${standIn}`);
  }
  return text;
}

/** Writes the three files into a fresh directory and runs slurmd's GRES check for one node. */
function slurmdParse(layout: SlurmLayout, name: string, node: string, files: RenderedFiles): ParseResult {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "slurm.conf"), files.slurm);
  writeFileSync(join(dir, "gres.conf"), withStandInDevices(layout, files.gres, join(dir, "dev")));
  writeFileSync(join(dir, "cgroup.conf"), files.cgroup);
  const run = spawnSync(SLURMD, ["-G", "-N", node, "-f", join(dir, "slurm.conf")], {
    encoding: "utf8",
    timeout: 10_000,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface RenderedFiles {
  readonly slurm: string;
  readonly gres: string;
  readonly cgroup: string;
}

function rendered(layout: SlurmLayout): RenderedFiles {
  return { slurm: renderSlurmConf(layout), gres: renderGresConf(layout), cgroup: renderCgroupConf(layout) };
}

describe.each(["ie", "lab"])("slurmd parses the files of stack %s", (stack) => {
  const layout = slurmLayout(stackInventory(stack));
  const files = rendered(layout);

  it.each(layout.computeNodes.map((h) => [h.name, h] as const))("node %s: no error, its GPUs found", (name, host) => {
    const result = slurmdParse(layout, `${stack}-${name}`, name, files);
    expect(result.output).not.toMatch(/error|fatal/i);
    expect(result.status).toBe(0);
    const gpus = host.gpus;
    if (gpus !== undefined) {
      expect(result.output).toMatch(new RegExp(`Name=gpu Type=${gpus.type} Count=${gpus.count}\\b`));
    }
  });
});

describe("the slurmd check has teeth", () => {
  const layout = slurmLayout(stackInventory("lab"));
  const files = rendered(layout);

  it.each([
    ["an unknown key in slurm.conf", { ...files, slurm: files.slurm.replace("TaskPlugin=", "TaskPlugn=") }],
    ["a bad time limit", { ...files, slurm: files.slurm.replace("MaxTime=1-00:00:00", "MaxTime=soon") }],
    ["an unknown key in cgroup.conf", { ...files, cgroup: `${files.cgroup}ConstrainDevicez=yes\n` }],
    ["a malformed SlurmctldHost", { ...files, slurm: files.slurm.replace("(10.77.0.11)", "(10.77.0.11") }],
  ])("rejects %s", (what, broken) => {
    const result = slurmdParse(layout, `broken-${what.replace(/\W+/g, "-")}`, "lab2", broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error|fatal/i);
  });
});
