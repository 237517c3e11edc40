/**
 * What a change to the inventory does to a running Slurm cluster: the program is evaluated for the
 * stack as it is and for a changed copy, and the commands whose inputs differ are the ones `pulumi up`
 * would run (an update runs the command's update script: restart or reconfigure).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { COMMAND, MANAGED_FILE, RANDOM_BYTES, fakeProvider, setUpMockStack, unwrapSecrets, type ResourceHook } from "../support/mocks";

const config = (parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.ie.yaml"), "utf8")) as {
  config: Record<string, unknown>;
}).config;
const slurm = config["ie:slurm"] as Record<string, unknown>;
const hosts = config["ie:hosts"] as Record<string, unknown>[];

/** Inputs that decide whether a command re-runs or a file is rewritten, per resource name, secrets unwrapped. */
async function commandInputs(
  override: Record<string, unknown> = {},
  onNewResource?: ResourceHook,
): Promise<Map<string, string>> {
  const stack = await setUpMockStack({ stack: "ie", override, onNewResource });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  const commands = stack.ofType(COMMAND).map((r): [string, string] => {
    const { create, update, stdin, triggers } = unwrapSecrets(r.inputs) as Record<string, unknown>;
    return [r.name, JSON.stringify({ create, update, stdin, triggers })];
  });
  const files = stack.ofType(MANAGED_FILE).map((r): [string, string] => {
    const { path: file, content, mode, owner } = unwrapSecrets(r.inputs) as Record<string, unknown>;
    return [r.name, JSON.stringify({ file, content, mode, owner })];
  });
  return new Map([...commands, ...files]);
}

/** Names of the commands whose inputs differ between two evaluations (same set of commands expected). */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  return [...after].filter(([name, inputs]) => before.get(name) !== inputs).map(([name]) => name);
}

const SLURM_HOSTS = ["ctl1", "gpu1", "gpu2", "gpu3", "gpu4"];
const RESTARTS = ["ctl1-slurmctld-restart", "gpu1-slurmd-restart", "gpu2-slurmd-restart", "gpu3-slurmd-restart", "gpu4-slurmd-restart"];

describe("changes to a running Slurm cluster", () => {
  it("re-runs nothing when nothing changed", async () => {
    expect(changed(await commandInputs(), await commandInputs())).toEqual([]);
  });

  it("a MessageTimeout change rewrites slurm.conf and only reconfigures", async () => {
    const after = await commandInputs({ slurm: { ...slurm, messageTimeout: 30 } });
    expect(changed(await commandInputs(), after).sort()).toEqual(
      [...SLURM_HOSTS.map((h) => `${h}-file-slurm.conf`), "ctl1-slurm-reconfigure", "ctl1-slurm-nodes-ready"].sort(),
    );
  });

  it("a port change restarts slurmctld and every slurmd, then reconfigures", async () => {
    const after = await commandInputs({ slurm: { ...slurm, controllerPort: 6900 } });
    expect(changed(await commandInputs(), after).sort()).toEqual(
      [
        ...SLURM_HOSTS.map((h) => `${h}-file-slurm.conf`),
        ...RESTARTS,
        "ctl1-slurm-reconfigure",
        "ctl1-slurm-nodes-ready",
      ].sort(),
    );
  });

  it("a different GPU count rewrites gres.conf and slurm.conf and restarts", async () => {
    const changedHosts = hosts.map((h) => (h.name === "gpu3" ? { ...h, gpus: { type: "tesla", count: 1 } } : h));
    const names = changed(await commandInputs(), await commandInputs({ hosts: changedHosts }));
    expect(names).toEqual(expect.arrayContaining([...SLURM_HOSTS.map((h) => `${h}-file-gres.conf`), ...RESTARTS]));
    expect(names.filter((n) => n.includes("munge") || n.includes("install"))).toEqual([]);
  });

  it("a new munge key reaches every host, restarts munge and every daemon, and touches no other file", async () => {
    const otherKey: ResourceHook = (args) => {
      const result = fakeProvider(args);
      if (args.type !== RANDOM_BYTES || args.name !== "munge-key") return result;
      return { ...result, state: { ...result.state, base64: Buffer.alloc(1024, 7).toString("base64") } };
    };
    const names = changed(await commandInputs(), await commandInputs({}, otherKey));
    expect(names.sort()).toEqual(
      [...SLURM_HOSTS.flatMap((h) => [`${h}-file-munge.key`, `${h}-munge-key`]), ...RESTARTS, "ctl1-slurm-nodes-ready"].sort(),
    );
  });
});
