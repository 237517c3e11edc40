/**
 * A container host drained for the refresh, in the production stack under the mock runtime: ie-podman's
 * configuration says so (naming the container hosts to use instead), and once that configuration and the
 * program are in place the drain runs with the host's drainTimeout and force; a changed force re-runs it.
 * Hosts that do not drain get neither, and keep the configuration they had.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStack } from "../support/mocks";

type Row = Record<string, unknown>;
const hosts = (parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.ie.yaml"), "utf8")) as { config: Record<string, unknown> }).config["ie:hosts"] as Row[];

/** The production stack with `fields` set on gpu1. */
async function evaluate(fields: Row = {}): Promise<MockStack> {
  const override = Object.keys(fields).length > 0 ? { hosts: hosts.map((h) => (h.name === "gpu1" ? { ...h, ...fields } : h)) } : {};
  const stack = await setUpMockStack({ stack: "ie", override, delayMs: 1 });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  return stack;
}

const config = (stack: MockStack, host: string) => JSON.parse((unwrapSecrets(stack.named(`${host}-file-ie-podman-config`, MANAGED_FILE).inputs) as { content: string }).content) as Row;
const drains = (stack: MockStack) => stack.ofType(COMMAND).filter((r) => r.name.endsWith("-containers-drain")).map((r) => r.name);

describe("a container host being drained", () => {
  it("gets the drain, after ie-podman's configuration says it drains; the other hosts get neither", async () => {
    const stack = await evaluate({ drain: true, drainTimeout: "2h", force: true });
    expect(drains(stack)).toEqual(["gpu1-containers-drain"]);
    const drain = stack.named("gpu1-containers-drain");
    expect(scriptCallOf(drain)).toMatchObject({ script: "containers/drain.sh", args: ["7200", "yes", "ie-podman.owner", "/var/log/ie-podman/audit.log"] });
    // Nothing on the host's way out of the stack: the drain is not undone by a delete.
    expect(scriptCallOf(drain, "delete")).toBeUndefined();

    expect(config(stack, "gpu1").drain).toEqual({ otherHosts: ["gpu2", "gpu3", "gpu4"] });
    for (const f of ["ie-podman-config", "ie-podman-program", "ie-podman"]) {
      expect(drain.registeredAt, f).toBeGreaterThan(stack.named(`gpu1-file-${f}`, MANAGED_FILE).resolvedAt ?? Infinity);
    }
    for (const host of ["gpu2", "gpu3", "gpu4"]) expect(config(stack, host)).not.toHaveProperty("drain");
  }, 60_000);

  it("waits an hour and leaves the containers running unless told otherwise", async () => {
    const stack = await evaluate({ drain: true });
    expect(scriptCallOf(stack.named("gpu1-containers-drain"))?.args).toEqual(["3600", "no", "ie-podman.owner", "/var/log/ie-podman/audit.log"]);
  }, 60_000);

  it("runs again when force or drainTimeout changes (the command's create is what changes)", async () => {
    const create = async (fields: Row) => unwrapSecrets((await evaluate({ drain: true, ...fields })).named("gpu1-containers-drain").inputs.create);
    const base = await create({});
    expect(await create({ force: true })).not.toBe(base);
    expect(await create({ drainTimeout: "30m" })).not.toBe(base);
  }, 120_000);

  it("names no host that drains too among the hosts to go to", async () => {
    const stack = await setUpMockStack({
      stack: "ie",
      override: { hosts: hosts.map((h) => (h.name === "gpu1" || h.name === "gpu3" ? { ...h, drain: true } : h)) },
      delayMs: 1,
    });
    const { runProgram } = await import("../../components/program");
    await stack.run(runProgram);
    expect(config(stack, "gpu1").drain).toEqual({ otherHosts: ["gpu2", "gpu4"] });
    expect(config(stack, "gpu3").drain).toEqual({ otherHosts: ["gpu2", "gpu4"] });
    expect(drains(stack).sort()).toEqual(["gpu1-containers-drain", "gpu3-containers-drain"]);
  }, 60_000);

  it("does not exist, nor does the configuration say so, when no host drains", async () => {
    const stack = await evaluate();
    expect(drains(stack)).toEqual([]);
    for (const host of ["gpu1", "gpu2", "gpu3", "gpu4"]) expect(config(stack, host)).not.toHaveProperty("drain");
  }, 60_000);
});
