/**
 * Moving a rental to another VM host, in the lab stack under the mock runtime (lab3 made a VM host too; host
 * keys given inline, as the lab's `up` would pin them): the program declares the same command before and after,
 * with the host in its triggers and deleteBeforeReplace, so the engine replaces it by first running the OLD
 * state's delete (`rental.sh remove`, on the old host, the disk kept as declared) and then `ensure` on the new
 * host, on the same RBD image, with the same seed and domain, whose files are written there first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { digestsOf, planStep, type CommandInputs } from "../../scripts/lab/runner/plan";
import { scriptCallOf } from "../support/commands";
import { MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStack, type RegisteredResource } from "../support/mocks";

type Row = Record<string, unknown>;
const lab = (parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks/Pulumi.lab.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMSFAS4fOyWfOPySdAyfsrINbO3AbiTCC4vfCkpCOnye";
const hosts = (lab["ie:hosts"] as Row[]).map((h) => ({
  ...h,
  hostKey: `${HOST_KEY} ${String(h.name)}`,
  roles: h.name === "lab3" ? [...(h.roles as string[]), "vm-host"] : h.roles,
}));
const labVms = lab["ie:vms"] as Row & { rentals: Row[] };
// The owners' keys inline too (the lab stack names the files `up` makes).
const vms = { ...labVms, rentals: labVms.rentals.map((r): Row => ({ ...r, sshKey: `${HOST_KEY} ${String(r.owner)}@lab` })) };

/** The lab stack with alice-vm on `host` (and `extra` fields of hers). */
async function evaluate(host: string, extra: Row = {}): Promise<MockStack> {
  const rentals = vms.rentals.map((r) => (r.name === "alice-vm" ? { ...r, host, ...extra } : r));
  const stack = await setUpMockStack({ stack: "lab", override: { hosts, vms: { ...vms, rentals } }, delayMs: 1 });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  return stack;
}

/** A command's inputs as the command provider (and the lab engine) compares them. */
function commandInputs(r: RegisteredResource): CommandInputs {
  const raw = unwrapSecrets(r.inputs) as Row;
  return {
    create: raw.create as string,
    update: raw.update as string | undefined,
    delete: raw.delete as string | undefined,
    stdin: raw.stdin as string | undefined,
    triggers: raw.triggers as unknown[] | undefined,
    connection: raw.connection as Row,
    addPreviousOutputInEnv: raw.addPreviousOutputInEnv as boolean | undefined,
  };
}
const connectedTo = (r: RegisteredResource) => (commandInputs(r).connection as { host: string }).host;
const fileContent = (stack: MockStack, name: string) => (unwrapSecrets(stack.named(name, MANAGED_FILE).inputs) as { content: string }).content;
const SEED_FILES = ["user-data", "meta-data", "network-config", "domain.xml"];

describe("a rental moved from lab1 to lab3", () => {
  it("is one replacement of the same command, old one deleted first, on the same RBD image and seed", async () => {
    const before = await evaluate("lab1");
    const after = await evaluate("lab3");
    const old = before.named("vm-alice-vm");
    const moved = after.named("vm-alice-vm");

    // The same resource for the engine (its URN does not name the host), replaced because a trigger changed.
    expect(moved.urn).toBeDefined();
    expect(moved.urn).toBe(old.urn);
    expect(commandInputs(old).triggers).toEqual(["lab1"]);
    expect(commandInputs(moved).triggers).toEqual(["lab3"]);
    expect(planStep(digestsOf(commandInputs(old)), digestsOf(commandInputs(moved)))).toBe("replace");
    expect(moved.options?.deleteBeforeReplace).toBe(true);

    // The delete that runs is the old state's: `remove` on lab1, the disk kept (deleteDisk as declared: no).
    expect(connectedTo(old)).toBe("10.77.0.11");
    expect(scriptCallOf(old, "delete")).toMatchObject({ script: "vm/rental.sh", args: ["remove", "rental-alice-vm", "vms", "rental-alice-vm", "no", "90", "/var/lib/ie/vms/alice-vm"] });

    // Then `ensure` on lab3, on the same image (rental.sh keeps an image that exists: no copy, no clone).
    expect(connectedTo(moved)).toBe("10.77.0.13");
    expect(scriptCallOf(moved)?.args).toEqual(scriptCallOf(old)?.args);
    expect(scriptCallOf(moved)?.args.slice(0, 4)).toEqual(["ensure", "rental-alice-vm", "vms", "rental-alice-vm"]);

    // The seed and domain are written on lab3 before the VM starts there, with the same content: same disk,
    // cloud-init instance id, MAC and static address, so the guest boots as itself.
    for (const f of SEED_FILES) {
      const file = after.named(`lab3-file-alice-vm-${f}`, MANAGED_FILE);
      expect(moved.registeredAt, f).toBeGreaterThan(file.resolvedAt ?? Infinity);
      expect(fileContent(after, `lab3-file-alice-vm-${f}`), f).toBe(fileContent(before, `lab1-file-alice-vm-${f}`));
      expect(after.ofType(MANAGED_FILE).some((r) => r.name === `lab1-file-alice-vm-${f}`), f).toBe(false);
    }
    expect(fileContent(after, "lab3-file-alice-vm-network-config")).toContain("10.77.8.10/24");

    // Nothing of the other rental changes.
    expect(JSON.stringify(after.named("vm-bob-vm").inputs)).toBe(JSON.stringify(before.named("vm-bob-vm").inputs));
  }, 120_000);

  it("deletes on the old host with deleteDisk as the rental last declared it", async () => {
    const before = await evaluate("lab1", { deleteDisk: true });
    expect(scriptCallOf(before.named("vm-alice-vm"), "delete")?.args[4]).toBe("yes");
  }, 60_000);

  it("adopts the command named after its host by earlier versions (an alias), so upgrading recreates nothing", async () => {
    const stack = await evaluate("lab1");
    expect(stack.named("vm-alice-vm").options?.aliases).toEqual(["lab1-vm-alice-vm", "lab3-vm-alice-vm"]);
  }, 60_000);
});
