/**
 * Runs the Pulumi program under the mock runtime, as `pulumi up -s <stack>` would evaluate it, and records
 * every resource it registers: type, name, inputs (secrets still wrapped as they reach a provider), the
 * resources it depends on, and when it registered and resolved.
 *
 * Registration order is meaningful: with an asynchronous `newResource`, the runtime registers a resource
 * only after everything it depends on has resolved. A small per-resource delay makes a missing dependency
 * visible as a resource registering before its dependency resolved.
 *
 * How secrets flow here: secret inputs reach the mock wrapped (`pulumi.runtime.isRpcSecret`), the state
 * the mock returns keeps that wrapping, so a secret input stays a secret output. The mock runtime ignores
 * `additionalSecretOutputs`: RandomBytes' base64 comes back PLAIN, as a stricter engine would hand it.
 * A program that stays correct here has said `pulumi.secret()` itself.
 *
 * The resource hook is pluggable (`onNewResource`): the default fakes providers; a runner that executes
 * the commands for real passes its own.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { aliasNames, stackConfig, unwrapSecrets, type AliasMessage } from "../../scripts/stack/runtime";

export { stackConfig, unwrapSecrets };
import { PROJECT_ROOT } from "../../components/host/scripts";

export const COMMAND = "command:remote:Command";
export const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";
export { MANAGED_FILE_TYPE as MANAGED_FILE } from "../../components/host/managedFile";

/** A private key that only has to look like one: the mocks never log in. */
export const FAKE_SSH_PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZS1rZXktZm9yLW1vY2stdGVzdHMtb25seQ==\n-----END OPENSSH PRIVATE KEY-----\n";

export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Inputs as a provider receives them; secrets wrapped (`pulumi.runtime.isRpcSecret`). */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** URNs this resource depends on, as the runtime sent them; undefined when not observable. */
  readonly dependencies?: readonly string[];
  /** Resource options the engine acts on, as the runtime sent them; undefined when not observable. */
  readonly options?: RegistrationOptions;
  /** Tick at which `newResource` was called. Ticks count registrations and resolutions together. */
  readonly registeredAt: number;
  /** Tick at which the mock resolved; undefined while pending. */
  resolvedAt?: number;
  /** State the mock returned. */
  state?: Readonly<Record<string, unknown>>;
  urn?: string;
}

/** What a registration tells the engine besides the inputs (the mock API hands the mocks none of it). */
export interface RegistrationOptions {
  readonly deleteBeforeReplace: boolean;
  /** Former names (aliases given by name, or the name part of alias URNs). */
  readonly aliases: readonly string[];
}

export type ResourceHook = (
  args: pulumi.runtime.MockResourceArgs,
) => pulumi.runtime.MockResourceResult | Promise<pulumi.runtime.MockResourceResult>;

export interface MockStackOptions {
  /** Stack name: its `stacks/Pulumi.<stack>.yaml` config is loaded. */
  readonly stack: string;
  /** Read the config from this file instead (absolute or relative to the project). */
  readonly configFile?: string;
  /** Replace `ie:<key>` values of the stack file (parsed values, as YAML would give them). */
  readonly override?: Readonly<Record<string, unknown>>;
  /** Value of `ie:sshPrivateKey` (set as a secret); `null` leaves it unset. Defaults to FAKE_SSH_PRIVATE_KEY. */
  readonly sshPrivateKey?: string | null;
  /** Milliseconds each resource takes to resolve. Defaults to 0. */
  readonly delayMs?: number;
  /** Does what a provider would. Defaults to `fakeProvider`. */
  readonly onNewResource?: ResourceHook;
}

/** Bytes that depend only on the resource's name: two runs of a program see the same "random" key. */
function stableBytes(name: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(createHash("sha256").update(`${name}/${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * Plain fake providers: commands echo their inputs; RandomBytes returns (plain, not secret) bytes that
 * stay the same from run to run, as the engine's state would keep them.
 */
export function fakeProvider(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case COMMAND:
      return { id: `${args.name}-id`, state: { ...inputs, stdout: "", stderr: "" } };
    case RANDOM_BYTES: {
      const bytes = stableBytes(args.name, Number(inputs.length));
      const state = { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
      return { id: `${args.name}-id`, state };
    }
    default:
      return { id: args.custom ? `${args.name}-id` : undefined, state: inputs };
  }
}

/** A mocked stack: install with `setUpMockStack`, then `run` the program once. */
export class MockStack {
  readonly resources: RegisteredResource[] = [];
  private tick = 0;
  private readonly pendingDependencies = new Map<string, readonly string[]>();
  private readonly pendingOptions = new Map<string, RegistrationOptions>();

  constructor(private readonly opts: MockStackOptions) {}

  readonly mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`the program called ${args.token}, which the mock stack does not provide`);
    },
    newResource: async (args) => {
      const key = `${args.type}::${args.name}`;
      const record: RegisteredResource = {
        type: args.type,
        name: args.name,
        custom: args.custom ?? false,
        inputs: args.inputs as Record<string, unknown>,
        dependencies: this.pendingDependencies.get(key),
        options: this.pendingOptions.get(key),
        registeredAt: this.tick++,
      };
      this.pendingDependencies.delete(key);
      this.pendingOptions.delete(key);
      this.resources.push(record);
      if (this.opts.delayMs) await new Promise((resolve) => setTimeout(resolve, this.opts.delayMs));
      const result = await (this.opts.onNewResource ?? fakeProvider)(args);
      record.state = result.state;
      record.resolvedAt = this.tick++;
      return result;
    },
  };

  /** Resources of a type, in registration order. */
  ofType(type: string): RegisteredResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of that name (names are unique per type in this program). */
  named(name: string, type = COMMAND): RegisteredResource {
    const found = this.resources.filter((r) => r.name === name && r.type === type);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  /**
   * The runtime's dependency list (URNs) and engine options of each registration. Read from the monitor's
   * request, which the public mock API does not show; if the SDK changes shape this simply records nothing.
   */
  observeDependencies(): void {
    const monitor: unknown = pulumi.runtime.getMonitor();
    if (!isPatchableMonitor(monitor)) return;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const key = `${req.getType()}::${req.getName()}`;
      this.pendingDependencies.set(key, req.getDependenciesList());
      this.pendingOptions.set(key, { deleteBeforeReplace: req.getDeletebeforereplace(), aliases: aliasNames(req) });
      return register(req, (err, response) => {
        const urn = response?.getUrn();
        const record = this.resources.find((r) => r.type === req.getType() && r.name === req.getName());
        if (record && urn) record.urn = urn;
        callback(err, response);
      });
    };
  }

  /** URNs → records, for reading `dependencies`. */
  byUrn(urn: string): RegisteredResource | undefined {
    return this.resources.find((r) => r.urn === urn);
  }

  /**
   * Runs the program and waits until every resource it declared has resolved. Returns what the program
   * returned (its stack outputs, Outputs unresolved) and the outputs resolved.
   */
  async run<T>(program: () => T): Promise<{ readonly outputs: T; readonly values: unknown }> {
    const outputs = program();
    const values = await valueOf(pulumi.output(outputs));
    await pulumi.runtime.disconnect();
    return { outputs, values };
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getAliasesList(): AliasMessage[];
}

type RegisterCallback = (err: unknown, response: { getUrn(): string } | undefined) => void;
interface PatchableMonitor {
  registerResource(req: RegisterRequest, callback: RegisterCallback): unknown;
}

function isPatchableMonitor(m: unknown): m is PatchableMonitor {
  return (
    typeof m === "object" && m !== null && typeof (m as { registerResource?: unknown }).registerResource === "function"
  );
}

/** Installs the mocks and the stack's configuration. Call before importing or running the program. */
export async function setUpMockStack(opts: MockStackOptions): Promise<MockStack> {
  const stack = new MockStack(opts);
  await pulumi.runtime.setMocks(stack.mocks, "ie-infra", opts.stack, false);
  stack.observeDependencies();
  const file = opts.configFile ?? path.join("stacks", `Pulumi.${opts.stack}.yaml`);
  const config = stackConfig(fs.readFileSync(path.resolve(PROJECT_ROOT, file), "utf8"), opts.override);
  const key = opts.sshPrivateKey === undefined ? FAKE_SSH_PRIVATE_KEY : opts.sshPrivateKey;
  if (key !== null) config["ie:sshPrivateKey"] = key;
  pulumi.runtime.setAllConfig(config, key !== null ? ["ie:sshPrivateKey"] : []);
  return stack;
}

/** The value of an Output once resolved (never resolves for an unknown value: not used in previews). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}


/** Every string of a value that is not inside a secret wrapper: what a state file would show in plain text. */
export function plainStrings(value: unknown): string[] {
  if (pulumi.runtime.isRpcSecret(value)) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(plainStrings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(plainStrings);
  return [];
}

/**
 * The production stack (`stacks/Pulumi.ie.yaml`) run under the mocks with the program's entry point, as the
 * stack tests that only read what was declared need it. Call once per test file, in `beforeAll`.
 */
export async function runProductionStack(): Promise<MockStack> {
  const stack = await setUpMockStack({ stack: "ie", delayMs: 2 });
  const { runProgram } = await import("../../components/program");
  await stack.run(runProgram);
  return stack;
}
