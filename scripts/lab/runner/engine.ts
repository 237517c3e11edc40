/**
 * The lab runner's engine: a `pulumi.runtime.Mocks` whose `newResource` does for real what the providers
 * would do during `pulumi up --refresh`: a `remote.Command` runs its command over SSH on its host (step chosen
 * by `planStep` against the lab state), a `ManagedFile` is read back and rewritten when the host's copy
 * differs (the provider's own functions), a `RandomBytes` is generated once and remembered. Because the mock
 * runtime registers a resource only after the resources it depends on have resolved, commands run in the
 * order `pulumi up` would run them, independent ones in parallel.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { commandFor, digest, digestsOf, planStep, type CommandInputs, type Step } from "./plan";
import { MANAGED_FILE_TYPE } from "../../../components/host/managedFile";
import { applyFile } from "../../../components/host/fileProvider";
import { normalState } from "../../../components/host/fileState";
import { SshPool, type SshTarget } from "../../../components/host/ssh";
import { unwrapSecrets } from "../../stack/runtime";
import { resourceKey, saveState, type LabState } from "./state";

export const COMMAND_TYPE = "command:remote:Command";
export const RANDOM_BYTES_TYPE = "random:index/randomBytes:RandomBytes";

export interface EngineEvent {
  readonly name: string;
  readonly host?: string;
  readonly step: Step | "delete";
  readonly seconds: number;
}

export interface EngineOptions {
  readonly state: LabState;
  readonly statePath: string;
  /** The private key the lab logs in with (the connection's own key is used when it has one). */
  readonly privateKey: string;
  /** Called when a resource finished, for progress output. */
  readonly onEvent?: (e: EngineEvent) => void;
  /** Most commands at once on one host (sshd's MaxSessions is 10 per connection). Defaults to 6. */
  readonly perHostParallelism?: number;
}

/** A command that failed: the apply stops and reports the host, resource and output. */
export class CommandFailure extends Error {
  constructor(
    readonly resource: string,
    readonly host: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${resource} on ${host} exited ${code}\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`);
  }
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}


interface ConnectionInput {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly hostKey?: string;
  readonly privateKey?: string;
}

export class LabEngine implements pulumi.runtime.Mocks {
  readonly ssh = new SshPool();
  readonly seen = new Set<string>();
  /** Every error of this apply, by resource: the SDK reports them only as "Resource monitor is terminating". */
  readonly failures: Error[] = [];
  readonly counts: Record<Step | "delete", number> = { create: 0, same: 0, update: 0, replace: 0, delete: 0 };
  private readonly slots = new Map<string, Promise<void>[]>();
  private inFlight = 0;
  private settle: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(private readonly opts: EngineOptions) {}

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    throw new Error(`the lab runner has no function ${args.token}`);
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, unknown> }> {
    const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
    if (!args.custom) return { id: `${args.name}_id`, state: inputs };
    this.seen.add(resourceKey(args.type, args.name));
    // As `pulumi up` does after an error: what runs finishes, nothing new starts.
    if (this.failures.length > 0) throw new Error(`${args.name}: not applied, the apply stopped after an error`);
    this.inFlight++;
    try {
      switch (args.type) {
        case COMMAND_TYPE:
          return await this.command(args.name, inputs);
        case RANDOM_BYTES_TYPE:
          return this.randomBytes(args.name, inputs);
        case MANAGED_FILE_TYPE:
          return await this.managedFile(args.name, inputs);
        default:
          throw new Error(`the lab runner cannot create resources of type ${args.type}`);
      }
    } catch (err) {
      const failure = err instanceof CommandFailure ? err : new Error(`${args.name}: ${err instanceof Error ? err.message : String(err)}`);
      // A copy: the SDK rewrites the message of the error it is handed ("Resource monitor is terminating").
      this.failures.push(new Error(failure.message));
      throw failure;
    } finally {
      this.inFlight--;
      if (this.failures.length > 0 && this.inFlight === 0) this.settle();
    }
  }

  /**
   * Resolves once an apply that failed has nothing running any more. The mock runtime never finishes the
   * program after a resource failed (its dependents wait forever), so the runner waits for this instead.
   */
  stoppedAfterFailure(): Promise<void> {
    return this.stopped;
  }

  /** Runs the delete command of every resource of the last apply that the program no longer declares. */
  async deleteOrphans(): Promise<void> {
    const orphans = Object.entries(this.opts.state.resources).filter(([key]) => !this.seen.has(key)).reverse();
    for (const [key, record] of orphans) {
      const started = Date.now();
      if (record.deleteCommand && record.target) {
        const target: SshTarget = { ...record.target, privateKey: this.opts.privateKey };
        const result = await this.ssh.exec(target, record.deleteCommand);
        if (result.code !== 0) {
          throw new CommandFailure(`${record.name} (delete)`, record.target.host, result.code, result.stdout, result.stderr);
        }
      }
      delete this.opts.state.resources[key];
      saveState(this.opts.statePath, this.opts.state);
      this.counts.delete++;
      this.opts.onEvent?.({ name: record.name, host: record.host, step: "delete", seconds: (Date.now() - started) / 1000 });
    }
  }

  private async command(name: string, raw: Record<string, unknown>): Promise<{ id: string; state: Record<string, unknown> }> {
    const connection = raw.connection as ConnectionInput;
    const inputs: CommandInputs = {
      create: raw.create as string | undefined,
      update: raw.update as string | undefined,
      delete: raw.delete as string | undefined,
      stdin: raw.stdin as string | undefined,
      triggers: raw.triggers as unknown[] | undefined,
      environment: raw.environment as Record<string, string> | undefined,
      host: `${connection.user ?? "root"}@${connection.host}:${connection.port ?? 22}`,
    };
    const key = resourceKey(COMMAND_TYPE, name);
    const previous = this.opts.state.resources[key];
    const digests = digestsOf(inputs);
    const step = planStep(previous?.digests, digests);
    const started = Date.now();
    let outputs: Record<string, unknown> = previous?.outputs ?? {};
    const command = commandFor(step, inputs);
    if (!connection.hostKey) throw new Error(`${name}: the connection has no pinned hostKey; the lab refuses it`);
    const target: SshTarget = {
      host: connection.host,
      port: connection.port ?? 22,
      user: connection.user ?? "root",
      hostKey: connection.hostKey,
      privateKey: connection.privateKey ?? this.opts.privateKey,
    };
    if (command !== undefined) {
      const result = await this.withSlot(target.host, () => this.ssh.exec(target, command, inputs.stdin));
      if (result.code !== 0) {
        throw new CommandFailure(name, connection.host, result.code, result.stdout, result.stderr);
      }
      outputs = { stdout: result.stdout, stderr: result.stderr };
      if (step === "replace" && previous?.deleteCommand) {
        const old = await this.ssh.exec(target, previous.deleteCommand);
        if (old.code !== 0) throw new CommandFailure(`${name} (delete of replaced)`, connection.host, old.code, old.stdout, old.stderr);
      }
    }
    this.counts[step]++;
    this.opts.state.resources[key] = {
      type: COMMAND_TYPE,
      name,
      host: connection.host,
      digests,
      outputs,
      deleteCommand: inputs.delete,
      target: { host: target.host, port: target.port, user: target.user, hostKey: target.hostKey },
    };
    saveState(this.opts.statePath, this.opts.state);
    this.opts.onEvent?.({ name, host: connection.host, step, seconds: (Date.now() - started) / 1000 });
    return { id: `${name}_id`, state: { ...raw, ...outputs } };
  }

  /** As `pulumi up --refresh` with the ManagedFile provider: read the host's copy, rewrite it when it differs. */
  private async managedFile(name: string, raw: Record<string, unknown>): Promise<{ id: string; state: Record<string, unknown> }> {
    const kept = normalState(raw);
    const target: SshTarget = { ...kept.connection, privateKey: kept.connection.privateKey ?? this.opts.privateKey };
    const file = { ...kept, connection: target };
    const key = resourceKey(MANAGED_FILE_TYPE, name);
    const previous = this.opts.state.resources[key];
    const started = Date.now();
    const fields = await this.withSlot(target.host, () => applyFile(this.ssh, file));
    const step: Step = fields.length === 0 ? "same" : previous ? "update" : "create";
    this.counts[step]++;
    // Only what identifies the file: its content (possibly a key) stays out of the lab state.
    const digests = { inputs: digest({ path: file.path, host: target.host }), triggers: digest([]) };
    this.opts.state.resources[key] = { type: MANAGED_FILE_TYPE, name, host: target.host, digests, outputs: {} };
    saveState(this.opts.statePath, this.opts.state);
    this.opts.onEvent?.({ name, host: target.host, step, seconds: (Date.now() - started) / 1000 });
    return { id: `${target.host}:${file.path}`, state: { ...raw, observed: "file" } };
  }

  private randomBytes(name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
    const key = resourceKey(RANDOM_BYTES_TYPE, name);
    const digests = { inputs: digest(inputs), triggers: digest([]) };
    const previous = this.opts.state.resources[key];
    if (previous && planStep(previous.digests, digests) === "same") {
      this.counts.same++;
      return { id: `${name}_id`, state: { ...inputs, ...previous.outputs } };
    }
    const bytes = randomBytes(Number(inputs.length));
    const outputs = { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    this.opts.state.resources[key] = { type: RANDOM_BYTES_TYPE, name, digests, outputs };
    saveState(this.opts.statePath, this.opts.state);
    this.counts.create++;
    return { id: `${name}_id`, state: { ...inputs, ...outputs } };
  }

  /** Bounded parallelism per host. */
  private async withSlot<T>(host: string, work: () => Promise<T>): Promise<T> {
    const limit = this.opts.perHostParallelism ?? 6;
    const running = this.slots.get(host) ?? [];
    this.slots.set(host, running);
    while (running.length >= limit) await Promise.race(running);
    let release = (): void => undefined;
    const slot = new Promise<void>((r) => (release = r));
    running.push(slot);
    try {
      return await work();
    } finally {
      running.splice(running.indexOf(slot), 1);
      release();
    }
  }
}
