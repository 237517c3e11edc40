/**
 * `npm run lab -- apply`: evaluates the same program as `pulumi up -s lab` under the mock runtime, with the
 * lab engine as the mock, so every command the stack declares runs for real on the lab hosts in the order
 * `pulumi up` would run it. Prints each resource as it finishes (time, host, step, seconds); a failing command
 * stops the apply with its host, resource name and output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { COMMAND_TYPE, LabEngine, type EngineEvent } from "./engine";
import { aliasNames, stackConfig, type AliasMessage } from "../../stack/runtime";
import { loadState } from "./state";
import { startProviderHost } from "../../engine/providerHost";

/** What the mock monitor sees of a registration besides what it hands the mocks. */
interface Registration {
  getName(): string;
  getDeletebeforereplace(): boolean;
  getAliasesList(): AliasMessage[];
}

interface MonitorLike {
  registerResource(req: Registration, callback: unknown): unknown;
}

/**
 * The mock runtime hands its mocks no resource options, but the real engine acts on deleteBeforeReplace and
 * aliases: note the names of the resources that declare deleteBeforeReplace, and the former names (aliases)
 * of each, from the registrations the mock monitor receives.
 */
function recordOptions(deleteBeforeReplace: Set<string>, aliases: Map<string, readonly string[]>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike | undefined;
  if (monitor === undefined) throw new Error("the mock runtime has no monitor to read registrations from");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    if (req.getDeletebeforereplace()) deleteBeforeReplace.add(req.getName());
    const former = aliasNames(req);
    if (former.length > 0) aliases.set(req.getName(), former);
    return register(req, callback);
  };
}

export interface ApplyOptions {
  readonly projectRoot: string;
  readonly stack: string;
  readonly privateKeyPath: string;
  readonly statePath: string;
  /** Read the stack's configuration from this file instead of `stacks/Pulumi.<stack>.yaml` (as `pulumi up --config-file`). */
  readonly configFile?: string;
  /**
   * Forget what earlier applies ran (generated secrets are kept): every command runs again, as a first
   * `pulumi up` against hosts that are already configured would. Proves the scripts themselves are idempotent.
   */
  readonly forgetState?: boolean;
  /** Prints a line per resource. Defaults to console.log. */
  readonly log?: (line: string) => void;
}

export interface ApplySummary {
  readonly ok: boolean;
  readonly seconds: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly failure?: string;
}


export async function labApply(opts: ApplyOptions): Promise<ApplySummary> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const stackFile = join(opts.projectRoot, "stacks", `Pulumi.${opts.stack}.yaml`);
  const privateKey = readFileSync(opts.privateKeyPath, "utf8");
  const state = loadState(opts.statePath);
  if (opts.forgetState) {
    for (const [key, record] of Object.entries(state.resources)) {
      if (record.type === COMMAND_TYPE) delete state.resources[key];
    }
  }
  const onEvent = (e: EngineEvent): void => {
    if (e.step === "same") return;
    const at = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    log(`[${at}s] ${(e.host ?? "-").padEnd(12)} ${e.step.padEnd(8)} ${e.name} (${e.seconds.toFixed(1)}s)`);
  };
  // Every ManagedFile goes through the SDK's dynamic provider host, started as the CLI starts it.
  const providerHost = await startProviderHost({ projectDir: opts.projectRoot });
  await providerHost.configure();
  const declaredDeleteBeforeReplace = new Set<string>();
  const declaredAliases = new Map<string, readonly string[]>();
  const engine = new LabEngine({
    state,
    statePath: opts.statePath,
    privateKey,
    onEvent,
    providerHost,
    stack: opts.stack,
    deleteBeforeReplace: (name) => declaredDeleteBeforeReplace.has(name),
    aliases: (name) => declaredAliases.get(name) ?? [],
  });

  await pulumi.runtime.setMocks(engine, "ie-infra", opts.stack, false);
  recordOptions(declaredDeleteBeforeReplace, declaredAliases);
  pulumi.runtime.setAllConfig({ ...stackConfig(readFileSync(opts.configFile ?? stackFile, "utf8")), "ie:sshPrivateKey": privateKey }, [
    "ie:sshPrivateKey",
  ]);

  // A rejected resource output surfaces as an unhandled rejection inside the SDK; the engine records
  // the failure itself, so swallow the duplicate here.
  const swallow = (): void => undefined;
  process.on("unhandledRejection", swallow);
  let failure: string | undefined;
  try {
    const cwd = process.cwd();
    process.chdir(opts.projectRoot);
    try {
      const { runProgram } = await import("../../../components/program");
      runProgram();
      // Waits until every registration (and so every command) has finished, including resources
      // registered from inside `apply` callbacks; after a failure, until nothing runs any more.
      await Promise.race([pulumi.runtime.disconnect(), engine.stoppedAfterFailure()]);
    } finally {
      process.chdir(cwd);
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (engine.failures.length > 0) failure = engine.failures.map((f) => f.message).join("\n\n");
  if (!failure) {
    try {
      await engine.deleteOrphans();
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
  }
  engine.ssh.close();
  providerHost.stop();
  process.off("unhandledRejection", swallow);
  const seconds = (Date.now() - started) / 1000;
  const counts = { ...engine.counts };
  log(
    `${failure ? "FAILED" : "done"} in ${seconds.toFixed(1)}s: ` +
      Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(", "),
  );
  if (failure) log(failure);
  return { ok: !failure, seconds, counts, failure };
}
