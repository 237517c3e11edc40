/**
 * VM rental in the production stack under the mock runtime: what a change to a rental re-runs, what its
 * removal would run, and that the golden image comes before any clone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStack } from "../support/mocks";

const vms = (parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.ie.yaml"), "utf8")) as { config: Record<string, unknown> }).config["ie:vms"] as {
  rentals: Record<string, unknown>[];
};

async function evaluate(override: Record<string, unknown> = {}): Promise<MockStack> {
  const stack = await setUpMockStack({ stack: "ie", override, delayMs: 1 });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  return stack;
}

/** Inputs of every command and file that belongs to a rental, by name. */
function rentalInputs(stack: MockStack): Map<string, string> {
  return new Map(
    [...stack.ofType(COMMAND), ...stack.ofType(MANAGED_FILE)]
      .filter((r) => /(^vm-[a-z0-9-]+|-[a-z0-9-]+-(user-data|meta-data|network-config|domain\.xml))$/.test(r.name))
      .map((r) => [r.name, JSON.stringify(unwrapSecrets(r.inputs))]),
  );
}

describe("rentals in the production stack", () => {
  it("clone from the golden snapshot only once it exists, and keep their disk on removal unless told", async () => {
    const stack = await evaluate();
    const golden = stack.named("vmhost1-vm-golden-image");
    const alice = stack.named("vm-alice-dev");
    expect(alice.registeredAt).toBeGreaterThan(golden.resolvedAt ?? Infinity);
    expect(scriptCallOf(alice)?.args).toEqual(["ensure", "rental-alice-dev", "vms", "rental-alice-dev", "vms/debian-13-golden@golden", String(10 * 1024 ** 3), "/var/lib/ie/vms/alice-dev/domain.xml", "/var/lib/ie/vms/alice-dev", "120"]);
    expect(scriptCallOf(alice, "delete")?.args).toEqual(["remove", "rental-alice-dev", "vms", "rental-alice-dev", "no", "120", "/var/lib/ie/vms/alice-dev"]);
  }, 60_000);

  it("a memory change touches that rental's domain XML and command and nothing of the others", async () => {
    const before = rentalInputs(await evaluate());
    const rentals = vms.rentals.map((r) => (r.name === "bob-dev" ? { ...r, memory: "2GiB" } : r));
    const after = rentalInputs(await evaluate({ vms: { ...vms, rentals } }));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changed = [...after].filter(([n, v]) => before.get(n) !== v).map(([n]) => n);
    expect(changed.sort()).toEqual(["vm-bob-dev", "vmhost1-file-bob-dev-domain.xml"]);
  }, 60_000);
});
