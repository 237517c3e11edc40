/**
 * What the real engine stores and compares, measured on the ie stack under the mock runtime: the inputs of
 * every resource (the engine diffs them on every run, the file backend rewrites them after every step) and
 * the serialized ManagedFile provider (`__provider`, kept in the state and run by the provider host).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { PROVIDER_BUNDLE } from "../../components/host/managedFile";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { COMMAND, MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStack } from "../support/mocks";

const savedAgent = process.env.SSH_AUTH_SOCK;
afterAll(() => {
  if (savedAgent === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = savedAgent;
});

/** Evaluates the ie stack as an admin logged in through an ssh-agent at `socket` would. */
async function evaluate(socket: string): Promise<MockStack> {
  process.env.SSH_AUTH_SOCK = socket;
  const stack = await setUpMockStack({ stack: "ie", sshPrivateKey: null });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  return stack;
}

/** Inputs as the engine would store them, by type and name: secrets unwrapped, key order fixed. */
function inputsByResource(stack: MockStack): Map<string, string> {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)])) : v;
  return new Map(stack.resources.filter((r) => r.custom).map((r) => [`${r.type}::${r.name}`, JSON.stringify(sorted(unwrapSecrets(r.inputs)))]));
}

describe("the ie stack as the engine sees it", () => {
  let first: Map<string, string>;
  let stack: MockStack;

  it("has the same inputs in every login shell: 0 resources change with SSH_AUTH_SOCK", async () => {
    stack = await evaluate("/tmp/ssh-AAAAfirst/agent.1111");
    first = inputsByResource(stack);
    const second = inputsByResource(await evaluate("/run/user/1000/ssh-BBBBsecond/agent.2222"));
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    const changed = [...first].filter(([key, inputs]) => second.get(key) !== inputs).map(([key]) => key);
    console.log(`resources whose inputs change when only SSH_AUTH_SOCK changes: ${changed.length} of ${first.size}`);
    expect(changed).toEqual([]);
    expect([...first.values()].some((inputs) => /agent\.1111|agentSocketPath/.test(inputs))).toBe(false);
    // Nor does the checkout's place: another admin's clone or a CI runner must see the same inputs.
    expect([...first].filter(([, inputs]) => inputs.includes(PROJECT_ROOT)).map(([key]) => key)).toEqual([]);
  });

  it("never lets @pulumi/command send the previous output as environment variables (sshd refuses them)", () => {
    const commands = stack.ofType(COMMAND);
    expect(commands.length).toBeGreaterThan(100);
    expect(commands.filter((r) => r.inputs.addPreviousOutputInEnv !== false).map((r) => r.name)).toEqual([]);
  });

  it("keeps all inputs within 1.25 MiB (large artifacts are kept by digest)", () => {
    const bytes = [...first.values()].reduce((n, inputs) => n + Buffer.byteLength(inputs), 0);
    console.log(`ie stack inputs: ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB) in ${first.size} resources`);
    // Every ManagedFile costs about 2.6 KB whatever its size (its connection and the provider's text): the
    // users' guide's 7 files on the 5 login hosts added about 90 KB over the 1 MiB this was before.
    expect(bytes).toBeLessThanOrEqual(1.25 * 1024 * 1024);
    // No single resource carries a large artifact.
    expect(Math.max(...[...first.values()].map((inputs) => Buffer.byteLength(inputs)))).toBeLessThan(64 * 1024);
  });

  it("serializes a small ManagedFile provider that names no path of this checkout and loads the compiled bundle", () => {
    const texts = new Set(stack.ofType(MANAGED_FILE).map((r) => r.inputs.__provider));
    expect(texts.size).toBe(1);
    const [text] = [...texts];
    if (typeof text !== "string") throw new Error("no __provider text");
    console.log(`serialized ManagedFile provider: ${Buffer.byteLength(text)} bytes`);
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    expect(text).not.toContain(PROJECT_ROOT);
    expect(text).toContain(`"${PROVIDER_BUNDLE}"`);
    // ...which `npm ci` builds (the prepare script).
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toContain("build:providers");
    expect(pkg.scripts["build:providers"]).toContain(`--outfile=${PROVIDER_BUNDLE}`);
    expect(pulumi.runtime.isRpcSecret(text)).toBe(false);
  });
});
