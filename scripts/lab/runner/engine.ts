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
import { SshPool, type SshTarget } from "../../../components/host/ssh";
import { managedFileUrn, type ProviderHost } from "../../engine/providerHost";
import { applyResource, type StoredResource } from "../../engine/steps";
import { unwrapSecrets } from "../../stack/runtime";
import { resourceKey, saveState, type LabState, type ResourceRecord } from "./state";

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
  /** The SDK's dynamic provider host every ManagedFile goes through, as under `pulumi up`. */
  readonly providerHost: ProviderHost;
  /** The stack's name, for the URNs the provider host sees. */
  readonly stack: string;
  /** Whether a resource was declared with deleteBeforeReplace (the mock runtime does not pass options). */
  readonly deleteBeforeReplace?: (name: string) => boolean;
  /** A resource's former names (its aliases): a record under one of them is this resource's. Defaults to none. */
  readonly aliases?: (name: string) => readonly string[];
}

/** A ManagedFile's stored properties with the lab's key put back (the lab state never keeps it). */
function withKey(props: Readonly<Record<string, unknown>>, privateKey: string): Record<string, unknown> {
  return { ...props, connection: { ...(props.connection as Record<string, unknown>), privateKey } };
}

function withoutKey(props: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { privateKey: _, ...connection } = (props.connection ?? {}) as Record<string, unknown>;
  return { ...props, connection };
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
  /** Replaced commands whose old delete runs after every create and update. */
  private readonly replacedLater: ResourceRecord[] = [];
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

  /**
   * After every create and update, as the engine orders it: the deletes of replaced commands, then every
   * resource of the last apply that the program no longer declares (newest first). Each delete runs what
   * its state says: the old delete command with the old stdin on the old connection; a ManagedFile's delete
   * goes to the provider host with its stored `__provider`.
   */
  async deleteOrphans(): Promise<void> {
    for (const record of this.replacedLater.splice(0)) await this.runDelete(record, "delete of replaced");
    const orphans = Object.entries(this.opts.state.resources).filter(([key]) => !this.seen.has(key)).reverse();
    for (const [key, record] of orphans) {
      const started = Date.now();
      if (record.type === MANAGED_FILE_TYPE && record.id !== undefined) {
        await this.opts.providerHost.delete(record.id, managedFileUrn(record.name, this.opts.stack), withKey(record.outputs, this.opts.privateKey));
      } else {
        await this.runDelete(record, "delete");
      }
      delete this.opts.state.resources[key];
      saveState(this.opts.statePath, this.opts.state);
      this.counts.delete++;
      this.opts.onEvent?.({ name: record.name, host: record.host, step: "delete", seconds: (Date.now() - started) / 1000 });
    }
  }

  /**
   * What the last apply recorded for this resource: under its name, or, as the engine resolves aliases, under
   * one of its former names, whose record then moves to the new name (so it is no orphan to delete).
   */
  private previousOf(type: string, name: string): ResourceRecord | undefined {
    const key = resourceKey(type, name);
    const own = this.opts.state.resources[key];
    if (own !== undefined) return own;
    for (const former of this.opts.aliases?.(name) ?? []) {
      const formerKey = resourceKey(type, former);
      const record = this.opts.state.resources[formerKey];
      if (record === undefined || this.seen.has(formerKey)) continue;
      delete this.opts.state.resources[formerKey];
      const adopted = { ...record, name };
      this.opts.state.resources[key] = adopted;
      saveState(this.opts.statePath, this.opts.state);
      return adopted;
    }
    return undefined;
  }

  /** A command's delete, as its state recorded it (old command, old stdin, old connection). */
  private async runDelete(record: ResourceRecord, what: string): Promise<void> {
    if (!record.deleteCommand || !record.target) return;
    const target: SshTarget = { ...record.target, privateKey: this.opts.privateKey };
    const result = await this.ssh.exec(target, record.deleteCommand, record.deleteStdin);
    if (result.code !== 0) throw new CommandFailure(`${record.name} (${what})`, record.target.host, result.code, result.stdout, result.stderr);
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
      connection: raw.connection as Record<string, unknown>,
      addPreviousOutputInEnv: raw.addPreviousOutputInEnv as boolean | undefined,
    };
    const key = resourceKey(COMMAND_TYPE, name);
    const previous = this.previousOf(COMMAND_TYPE, name);
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
    // A replacement deletes the old resource, with its own delete command, stdin and connection: first when
    // the resource says deleteBeforeReplace, else after every create and update of the run (as the engine).
    const replaced = step === "replace" && previous !== undefined ? previous : undefined;
    if (replaced !== undefined && this.opts.deleteBeforeReplace?.(name) === true) await this.runDelete(replaced, "delete before replace");
    if (command !== undefined) {
      const result = await this.withSlot(target.host, () => this.ssh.exec(target, command, inputs.stdin));
      if (result.code !== 0) {
        throw new CommandFailure(name, connection.host, result.code, result.stdout, result.stderr);
      }
      outputs = { stdout: result.stdout, stderr: result.stderr };
    }
    if (replaced !== undefined && this.opts.deleteBeforeReplace?.(name) !== true) this.replacedLater.push(replaced);
    this.counts[step]++;
    this.opts.state.resources[key] = {
      type: COMMAND_TYPE,
      name,
      host: connection.host,
      digests,
      outputs,
      deleteCommand: inputs.delete,
      ...(inputs.delete !== undefined && inputs.stdin !== undefined ? { deleteStdin: inputs.stdin } : {}),
      target: { host: target.host, port: target.port, user: target.user, hostKey: target.hostKey },
    };
    saveState(this.opts.statePath, this.opts.state);
    this.opts.onEvent?.({ name, host: connection.host, step, seconds: (Date.now() - started) / 1000 });
    return { id: `${name}_id`, state: { ...raw, ...outputs } };
  }

  /**
   * As `pulumi up` (with `refresh: always`) does with a ManagedFile: the SDK's dynamic provider host, started as
   * the CLI starts it, gets Read with the stored state (its stored `__provider` runs), then Check and Diff
   * against the program's inputs (their `__provider` is the program's), then Create or Update. Nothing of the
   * provider's code is imported here: what runs is what `pulumi up` runs.
   */
  private async managedFile(name: string, raw: Record<string, unknown>): Promise<{ id: string; state: Record<string, unknown> }> {
    const connection = raw.connection as ConnectionInput;
    const privateKey = connection.privateKey ?? this.opts.privateKey;
    const news = { ...raw, connection: { ...connection, privateKey } };
    const key = resourceKey(MANAGED_FILE_TYPE, name);
    const previous = this.previousOf(MANAGED_FILE_TYPE, name);
    const stored: StoredResource | undefined =
      previous?.id !== undefined ? { id: previous.id, props: withKey(previous.outputs, privateKey) } : undefined;
    const started = Date.now();
    const result = await this.withSlot(connection.host, () => applyResource(this.opts.providerHost, managedFileUrn(name, this.opts.stack), stored, news));
    this.counts[result.step]++;
    const digests = { inputs: digest({ path: raw.path, host: connection.host }), triggers: digest([]) };
    this.opts.state.resources[key] = { type: MANAGED_FILE_TYPE, name, host: connection.host, digests, id: result.id, outputs: withoutKey(result.props) };
    saveState(this.opts.statePath, this.opts.state);
    this.opts.onEvent?.({ name, host: connection.host, step: result.step, seconds: (Date.now() - started) / 1000 });
    return { id: result.id, state: result.props };
  }

  private randomBytes(name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
    const key = resourceKey(RANDOM_BYTES_TYPE, name);
    const digests = { inputs: digest(inputs), triggers: digest([]) };
    const previous = this.previousOf(RANDOM_BYTES_TYPE, name);
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
