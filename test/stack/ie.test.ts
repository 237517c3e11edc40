/**
 * The production stack (`stacks/Pulumi.ie.yaml`) evaluated whole under the mock runtime: what it declares
 * on every host, in which order, and that secrets stay secrets. Each resource takes a few milliseconds to
 * resolve, so a missing dependency shows as a resource registering before what it needs has resolved.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import type { EducationSystem } from "../../components/system";
import { scriptCallOf } from "../support/commands";
import {
  COMMAND,
  FAKE_SSH_PRIVATE_KEY,
  MANAGED_FILE,
  RANDOM_BYTES,
  plainStrings,
  setUpMockStack,
  unwrapSecrets,
  type MockStack,
  type RegisteredResource,
} from "../support/mocks";

interface YamlHost {
  name: string;
  address: string;
  hostKey: string;
  roles: string[];
  gpus?: { type: string; count: number };
}
const stackYaml = parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.ie.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const HOSTS = stackYaml.config["ie:hosts"] as YamlHost[];
const USERS = stackYaml.config["ie:users"] as { name: string; uid: number; sshKey?: string }[];
const COMPUTE = HOSTS.filter((h) => h.roles.includes("slurm-compute")).map((h) => h.name);
const CONTROLLER = "ctl1";
const SLURM_HOSTS = [CONTROLLER, ...COMPUTE];

let stack: MockStack;
let system: EducationSystem;
let values: unknown;
let mungeKey: string;

beforeAll(async () => {
  stack = await setUpMockStack({ stack: "ie", delayMs: 2 });
  const { buildSystem } = await import("../../components/program");
  const run = await stack.run(() => {
    system = buildSystem();
    return system.outputs;
  });
  values = run.values;
  mungeKey = String(stack.named("munge-key", RANDOM_BYTES).state?.base64);
});

const cmd = (name: string): RegisteredResource => stack.named(name);
const resolved = (r: RegisteredResource): number => {
  if (r.resolvedAt === undefined) throw new Error(`${r.name} never resolved`);
  return r.resolvedAt;
};
const lastResolved = (rs: readonly RegisteredResource[]): number => Math.max(...rs.map(resolved));
const stdinText = (r: RegisteredResource): string => String(unwrapSecrets(r.inputs.stdin));
const file = (name: string): RegisteredResource => stack.named(name, MANAGED_FILE);
const contentOf = (r: RegisteredResource): string => String(unwrapSecrets(r.inputs.content));
const mungeCommands = () => SLURM_HOSTS.map((h) => cmd(`${h}-munge-key`));
const mungeKeyFiles = () => SLURM_HOSTS.map((h) => file(`${h}-file-munge.key`));
/** The host a command runs on: its name's prefix, or, for a command that can move (a rental's VM), its first trigger. */
const hostOf = (r: RegisteredResource) =>
  HOSTS.find((h) => r.name.startsWith(`${h.name}-`)) ?? HOSTS.find((h) => (r.inputs.triggers as unknown[] | undefined)?.[0] === h.name);
const filesOf = (host: string) => ["slurm.conf", "cgroup.conf", "gres.conf"].map((f) => file(`${host}-file-${f}`));

describe("the ie stack", () => {
  it("builds a Host per inventory host, in inventory order, and one Slurm cluster", () => {
    expect(stack.ofType("ie:host:Host").map((r) => r.name)).toEqual(HOSTS.map((h) => h.name));
    expect(stack.ofType("ie:system:EducationSystem")).toHaveLength(1);
    expect(stack.ofType("ie:slurm:SlurmCluster")).toHaveLength(1);
    expect(stack.named("munge-key", RANDOM_BYTES).inputs.length).toBe(1024);
    expect(stack.resources.every((r) => r.resolvedAt !== undefined)).toBe(true);
  });

  it("reports every host and the Slurm cluster with its GPUs", () => {
    expect(values).toMatchObject({
      hosts: { gpu1: { address: "10.10.0.31", roles: ["slurm-compute", "container-host"] } },
      slurm: { controller: CONTROLLER, clusterName: "ie" },
    });
    const slurm = (values as { slurm: { nodes: unknown[]; partitions: { name: string }[] } }).slurm;
    expect(slurm.nodes).toEqual(COMPUTE.map((name) => ({ name, gres: "gpu:tesla:2" })));
    expect(slurm.partitions.map((p) => p.name)).toEqual(["gpu", "short"]);
  });
});

describe("every host", () => {
  it.each(HOSTS.map((h) => [h.name, h] as const))("%s gets its base packages and the users", (name) => {
    expect(scriptCallOf(cmd(`${name}-base`))).toMatchObject({
      script: "host/base.sh",
      args: ["ca-certificates", "curl", "gnupg", "chrony", "htop"],
      sudo: false,
    });
    expect(scriptCallOf(cmd(`${name}-users`))?.args).toEqual(
      USERS.flatMap((u) => [u.name, String(u.uid), u.sshKey ?? ""]),
    );
    expect(cmd(`${name}-users`).registeredAt).toBeGreaterThan(resolved(cmd(`${name}-base`)));
  });

  it("pins the inventory's host key on every connection, which travels as a secret", () => {
    for (const r of stack.ofType(COMMAND)) {
      const host = hostOf(r);
      expect(host, r.name).toBeDefined();
      expect(pulumi.runtime.isRpcSecret(r.inputs.connection), r.name).toBe(true);
      expect(unwrapSecrets(r.inputs.connection)).toMatchObject({
        host: host?.address,
        port: 22,
        user: "root",
        hostKey: host?.hostKey.split(" ").slice(0, 2).join(" "),
        privateKey: FAKE_SSH_PRIVATE_KEY,
      });
    }
  });

  it("runs nothing else on a host before its base packages and users are in place", () => {
    for (const r of stack.ofType(COMMAND)) {
      const host = hostOf(r)?.name;
      if (r.name === `${host}-base` || r.name === `${host}-users`) continue;
      expect(r.registeredAt, r.name).toBeGreaterThan(resolved(cmd(`${host}-users`)));
    }
  });
});

describe("Slurm on the hosts", () => {
  it.each(COMPUTE)("%s: install(compute), munge key, files with its GRES, slurmd", (node) => {
    expect(scriptCallOf(cmd(`${node}-slurm-install-compute`))).toMatchObject({ script: "slurm/install.sh", args: ["compute"] });
    expect(scriptCallOf(cmd(`${node}-munge-key`))).toMatchObject({ script: "slurm/munge-key.sh", args: ["slurmd"] });
    expect(file(`${node}-file-munge.key`).inputs).toMatchObject({ path: "/etc/munge/munge.key", encoding: "base64", mode: "0400", owner: "munge:munge", secret: true });
    expect(contentOf(file(`${node}-file-munge.key`))).toBe(mungeKey);
    expect(scriptCallOf(cmd(`${node}-slurmd`))).toMatchObject({ script: "slurm/daemon.sh", args: ["ensure-running", "slurmd"] });

    const gres = file(`${node}-file-gres.conf`);
    expect(gres.inputs).toMatchObject({ path: "/etc/slurm/gres.conf", mode: "0644", owner: "root:root", encoding: "utf8", secret: false });
    expect(contentOf(gres).split("\n")).toContain(`NodeName=${node} Name=gpu Type=tesla File=/dev/nvidia[0-1]`);

    const conf = file(`${node}-file-slurm.conf`);
    expect(conf.inputs).toMatchObject({ path: "/etc/slurm/slurm.conf", mode: "0644", owner: "root:root" });
    const nodeLine = contentOf(conf)
      .split("\n")
      .find((l) => l.startsWith(`NodeName=${node} `));
    expect(nodeLine).toContain("Gres=gpu:tesla:2");
  });

  it("the controller: install(controller), munge key stopping slurmctld on a change, slurmctld", () => {
    expect(scriptCallOf(cmd(`${CONTROLLER}-slurm-install-controller`))?.args).toEqual(["controller"]);
    expect(scriptCallOf(cmd(`${CONTROLLER}-munge-key`))?.args).toEqual(["slurmctld"]);
    expect(scriptCallOf(cmd(`${CONTROLLER}-slurmctld`))?.args).toEqual(["ensure-running", "slurmctld"]);
    expect(stack.resources.some((r) => r.name === `${CONTROLLER}-slurmd`)).toBe(false);
  });

  it("ships the same three files to every Slurm host and nothing of Slurm elsewhere", () => {
    const reference = filesOf(CONTROLLER).map(contentOf);
    for (const host of COMPUTE) expect(filesOf(host).map(contentOf)).toEqual(reference);
    const others = HOSTS.map((h) => h.name).filter((h) => !SLURM_HOSTS.includes(h));
    for (const host of others) {
      const names = stack.resources.filter((r) => r.name.startsWith(`${host}-`)).map((r) => r.name);
      expect(names).toEqual(expect.arrayContaining([`${host}-base`, `${host}-users`]));
      expect(names.filter((n) => /slurm|munge/.test(n)), host).toEqual([]);
    }
  });
});

describe("order", () => {
  it("lets independent commands run at once (so the order checks below could fail)", () => {
    const bases = HOSTS.map((h) => cmd(`${h.name}-base`));
    expect(Math.max(...bases.map((b) => b.registeredAt))).toBeLessThan(Math.min(...bases.map(resolved)));
  });

  it.each(COMPUTE)("%s: slurmd registers after its own and every other host's munge key", (node) => {
    const slurmd = cmd(`${node}-slurmd`);
    expect(slurmd.registeredAt).toBeGreaterThan(resolved(cmd(`${node}-munge-key`)));
    expect(slurmd.registeredAt).toBeGreaterThan(lastResolved(mungeCommands()));
    expect(slurmd.registeredAt).toBeGreaterThan(lastResolved(filesOf(node)));
    expect(slurmd.registeredAt).toBeGreaterThan(resolved(cmd(`${CONTROLLER}-slurmctld`)));
    const deps = (slurmd.dependencies ?? []).map((urn) => stack.byUrn(urn)?.name);
    expect(deps).toEqual(expect.arrayContaining([`${node}-munge-key`, ...mungeCommands().map((m) => m.name)]));
  });

  it.each(SLURM_HOSTS)("%s: munge restarts only after the key file is written", (host) => {
    expect(cmd(`${host}-munge-key`).registeredAt).toBeGreaterThan(resolved(file(`${host}-file-munge.key`)));
  });

  it("starts slurmctld after every munge key and the controller's files", () => {
    const slurmctld = cmd(`${CONTROLLER}-slurmctld`);
    expect(slurmctld.registeredAt).toBeGreaterThan(lastResolved(mungeCommands()));
    expect(slurmctld.registeredAt).toBeGreaterThan(lastResolved(filesOf(CONTROLLER)));
  });

  it("installs packages before the munge key and the files", () => {
    for (const host of SLURM_HOSTS) {
      const install = cmd(host === CONTROLLER ? `${host}-slurm-install-controller` : `${host}-slurm-install-compute`);
      for (const r of [cmd(`${host}-munge-key`), ...filesOf(host)]) {
        expect(r.registeredAt, r.name).toBeGreaterThan(resolved(install));
      }
    }
  });

  it("restarts slurmctld, then one slurmd after another, then reconfigures and waits for the nodes", () => {
    const chain = [cmd(`${CONTROLLER}-slurmctld-restart`), ...COMPUTE.map((n) => cmd(`${n}-slurmd-restart`))];
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i].registeredAt, chain[i].name).toBeGreaterThan(resolved(chain[i - 1]));
    }
    const reconfigure = cmd(`${CONTROLLER}-slurm-reconfigure`);
    expect(reconfigure.registeredAt).toBeGreaterThan(lastResolved(chain));
    expect(reconfigure.registeredAt).toBeGreaterThan(lastResolved(SLURM_HOSTS.flatMap(filesOf)));
    const ready = cmd(`${CONTROLLER}-slurm-nodes-ready`);
    expect(ready.registeredAt).toBeGreaterThan(resolved(reconfigure));
    expect(scriptCallOf(ready)).toMatchObject({ script: "slurm/wait-node.sh", args: ["120", ...COMPUTE] });
  });
});

describe("restart or reconfigure", () => {
  it.each([`${CONTROLLER}-slurmctld`, ...COMPUTE.map((n) => `${n}-slurmd`)])(
    "%s-restart only makes sure the daemon runs on create, and restarts on update",
    (name) => {
      const restart = cmd(`${name}-restart`);
      const unit = name.split("-")[1];
      expect(scriptCallOf(restart, "create")?.args).toEqual(["ensure-running", unit]);
      expect(scriptCallOf(restart, "update")?.args).toEqual(["restart-if-stale", unit, "/etc/slurm/slurm.conf", "/etc/slurm/gres.conf", "/etc/slurm/cgroup.conf", "/etc/munge/munge.key"]);
      // triggers would replace the command, and a replacement runs create, not the restart.
      expect(restart.inputs.triggers).toBeUndefined();
      expect(pulumi.runtime.isRpcSecret(restart.inputs.stdin)).toBe(true);
      expect(stdinText(restart)).toMatch(/^rerun-on [0-9a-f]{64}\n$/);
    },
  );

  it("reconfigures on the controller on update only", () => {
    const reconfigure = cmd(`${CONTROLLER}-slurm-reconfigure`);
    expect(scriptCallOf(reconfigure, "create")?.args).toEqual(["ensure-running", "slurmctld"]);
    expect(scriptCallOf(reconfigure, "update")?.args).toEqual(["reconfigure-if-stale", "slurmctld", "/etc/slurm/slurm.conf"]);
    expect(reconfigure.inputs.triggers).toBeUndefined();
  });
});

describe("secrets", () => {
  it("keeps the munge key and the SSH key secret as Outputs", async () => {
    expect(system.mungeKey).toBeDefined();
    expect(await pulumi.isSecret(system.mungeKey as pulumi.Output<string>)).toBe(true);
    for (const command of system.slurm?.mungeKeyCommands.values() ?? []) {
      expect(await pulumi.isSecret(command.stdin)).toBe(true);
      expect(await pulumi.isSecret(command.connection)).toBe(true);
    }
    for (const restart of system.slurm?.restarts.values() ?? []) {
      expect(await pulumi.isSecret(restart.stdin)).toBe(true);
    }
  });

  it("sends the munge key to every Slurm host only as the secret content of its key file", () => {
    expect(mungeKey.length).toBeGreaterThan(1000);
    for (const f of mungeKeyFiles()) {
      expect(pulumi.runtime.isRpcSecret(f.inputs.content), f.name).toBe(true);
      expect(unwrapSecrets(f.inputs.content)).toBe(mungeKey);
      expect(pulumi.runtime.isRpcSecret(f.inputs.connection), f.name).toBe(true);
    }
    for (const m of mungeCommands()) expect(stdinText(m)).toMatch(/^rerun-on [0-9a-f]{64}\n$/);
  });

  it("never puts the munge key or the SSH key in a command line or a non-secret input", () => {
    const fragments = [mungeKey.slice(0, 40), mungeKey.slice(-40), "ZmFrZS1rZXktZm9yLW1vY2stdGVzdHMtb25seQ"];
    for (const r of stack.resources) {
      for (const field of ["create", "update", "delete"]) {
        const line = String(unwrapSecrets(r.inputs[field]) ?? "");
        for (const f of fragments) expect(line.includes(f), `${r.name}.${field}`).toBe(false);
      }
      for (const text of plainStrings(r.inputs)) {
        for (const f of fragments) expect(text.includes(f), r.name).toBe(false);
      }
    }
  });

  it("reports no secret in the stack outputs", () => {
    const text = JSON.stringify(values);
    expect(text.includes(mungeKey.slice(0, 40))).toBe(false);
    expect(text.includes("PRIVATE KEY")).toBe(false);
  });
});
