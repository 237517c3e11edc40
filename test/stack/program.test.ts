/**
 * The program's front door: a stack with problems stops before anything is declared, with every problem
 * listed; how it logs in to the hosts (key from the stack, or an ssh-agent); a login user other than root.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStackOptions } from "../support/mocks";

const config = (parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.ie.yaml"), "utf8")) as {
  config: Record<string, unknown>;
}).config;
const hosts = config["ie:hosts"] as Record<string, unknown>[];

async function run(opts: Omit<MockStackOptions, "stack">) {
  const stack = await setUpMockStack({ stack: "ie", ...opts });
  const { runProgram } = await import("../../components/program");
  return { stack, result: stack.run(runProgram) };
}

const savedAgent = process.env.SSH_AUTH_SOCK;
afterEach(() => {
  if (savedAgent === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = savedAgent;
});

describe("a stack with problems", () => {
  it("throws a RunError listing every problem with its place in the stack file, and declares nothing", async () => {
    const badHosts = hosts.map((h) =>
      h.name === "gpu2" ? { ...h, address: "10.10.0.300" } : h.name === "gpu3" ? { ...h, roles: ["slurm-computer"] } : h,
    );
    const { stack, result } = await run({ override: { hosts: badHosts } });
    const error: unknown = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/^stacks\/Pulumi\.ie\.yaml has problems; nothing was changed:\n/);
    const lines = message.split("\n").slice(1);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^stacks\/Pulumi\.ie\.yaml:\d+:\d+: error: hosts\[5\]\.address: /.test(l))).toBe(true);
    expect(lines.some((l) => /^stacks\/Pulumi\.ie\.yaml:\d+:\d+: error: hosts\[6\]\.roles\[0\]: /.test(l))).toBe(true);
    expect(stack.resources).toEqual([]);
  });

  it("reports cross-field problems (a partition naming an unknown node) the same way", async () => {
    const slurm = config["ie:slurm"] as { partitions: Record<string, unknown>[] };
    const badSlurm = { ...slurm, partitions: [{ ...slurm.partitions[0], nodes: ["gpu1", "gpu9"] }, slurm.partitions[1]] };
    const { stack, result } = await run({ override: { slurm: badSlurm } });
    const error: unknown = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^stacks\/Pulumi\.ie\.yaml:\d+:\d+: error: slurm\.partitions\[0\]\.nodes.*gpu9/m);
    expect(stack.resources).toEqual([]);
  });
});

describe("logging in to the hosts", () => {
  it("uses the ssh-agent when the stack holds no key", async () => {
    process.env.SSH_AUTH_SOCK = "/run/user/1000/agent.sock";
    const { stack, result } = await run({ sshPrivateKey: null });
    await result;
    // The socket path changes with every login: the providers read SSH_AUTH_SOCK themselves.
    for (const r of [stack.named("gpu1-base"), stack.named("gpu1-file-slurm.conf", MANAGED_FILE)]) {
      const connection = unwrapSecrets(r.inputs.connection) as Record<string, unknown>;
      expect(connection, r.name).toMatchObject({ host: expect.any(String), hostKey: expect.any(String) });
      expect(Object.keys(connection).filter((k) => /agent|privateKey/i.test(k)), r.name).toEqual([]);
    }
  });

  it("says both ways to give a key when there is none", async () => {
    delete process.env.SSH_AUTH_SOCK;
    const { result } = await run({ sshPrivateKey: null });
    const error: unknown = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/pulumi config set --secret ie:sshPrivateKey.*ssh-agent/s);
  });

  it("logs in as the inventory's sshUser on its port and runs scripts through sudo when that is not root", async () => {
    const admin = hosts.map((h) => (h.name === "gpu1" ? { ...h, sshUser: "admin", sshPort: 2222 } : h));
    const { stack, result } = await run({ override: { hosts: admin } });
    await result;
    for (const r of stack.ofType(COMMAND)) {
      const onGpu1 = r.name.startsWith("gpu1-");
      expect(unwrapSecrets(r.inputs.connection), r.name).toMatchObject(
        onGpu1 ? { user: "admin", port: 2222 } : { user: "root", port: 22 },
      );
      expect(scriptCallOf(r)?.sudo, r.name).toBe(onGpu1);
    }
  });
});
