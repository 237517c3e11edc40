/**
 * ie-podman's program (bundled to one file, installed as /usr/local/lib/ie-podman/ie-podman.cjs and started
 * only by the root-owned entry script /usr/local/bin/ie-podman, which users run through a sudoers rule):
 * that it was started that way, who is asking, which verb, the audit line of every attempt, exit statuses.
 *
 * Exit status: the container's or podman's own for attached verbs; 0 done; 1 failed (podman failed, pool
 * exhausted, ...) or not here (the host is being drained: drain.ts); 2 refused or wrong usage.
 */
import { spawnSync } from "node:child_process";
import { audit } from "./audit";
import { type PasswdEntry, identify, parsePasswdLine } from "./caller";
import { type HostConfig, loadHostConfig } from "./config";
import { UsageError, type VerbContext } from "./context";
import { refuseWhileDraining } from "./drain";
import { readEntryArgv, startProblem } from "./entry";
import { HELP, overview, verbHelp } from "./help";
import { PolicyError } from "./policy";
import { runSlurm } from "./slurm-gpus";
import { build, images, sif } from "./verbs/images";
import { exec, inspect, logs, rm, start, stop } from "./verbs/manage";
import { ps } from "./verbs/ps";
import { reap } from "./verbs/reap";
import { run } from "./verbs/run";
import { sync } from "./verbs/sync";

type Verb = (argv: readonly string[], ctx: VerbContext) => Promise<number>;

const VERBS: Readonly<Record<string, Verb>> = { run, ps, stop, start, rm, logs, exec, inspect, build, images, sif, reap, sync };

function lookupPasswd(uid: number): PasswdEntry | undefined {
  const r = spawnSync("getent", ["passwd", "--", String(uid)], { encoding: "utf8" });
  return r.status === 0 ? parsePasswdLine(r.stdout) : undefined;
}

/** The host's configuration, or the reason there is none (help still works on a host without one). */
function hostConfig(): HostConfig | Error {
  try {
    return loadHostConfig();
  } catch (e) {
    return e as Error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const identity = identify(process.geteuid?.() ?? -1, process.env, lookupPasswd);
  if (identity.kind === "unprivileged") {
    process.stderr.write("ie-podman: run it as ie-podman (its entry goes through sudo)\n");
    return 2;
  }
  const caller = identity.kind === "user" ? identity.caller : undefined;
  const config = hostConfig();
  const who = caller !== undefined ? { uid: caller.uid, user: caller.user } : { uid: 0, user: "root" };
  // Every attempt is recorded, help and unknown verbs too: the log is where an admin sees probing.
  const record = (decision: "allowed" | "refused" | "failed" | "done", detail: string) => {
    if (!(config instanceof Error)) audit(config.auditLog, { ...who, verb: verb ?? "", args: rest, decision, detail });
  };
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    record("done", "help");
    process.stdout.write(overview());
    return verb === undefined ? 2 : 0;
  }
  const handler = Object.hasOwn(VERBS, verb) && Object.hasOwn(HELP, verb) ? VERBS[verb] : undefined;
  if (handler === undefined) {
    record("refused", "unknown verb");
    process.stderr.write(`ie-podman: unknown verb '${verb}'\n\n${overview()}`);
    return 2;
  }
  if (rest[0] === "--help" || rest[0] === "-h") {
    record("done", "help");
    process.stdout.write(verbHelp(verb));
    return 0;
  }
  if (config instanceof Error) throw config;
  const drained = refuseWhileDraining(config, verb, record, (text) => process.stderr.write(text));
  if (drained !== undefined) return drained;
  const ctx: VerbContext = { config, caller, allowed: (detail) => record("allowed", detail), now: () => Math.floor(Date.now() / 1000), slurm: runSlurm };
  try {
    return await handler(rest, ctx);
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof PolicyError) {
      record("refused", message);
      process.stderr.write(`ie-podman ${verb}: ${message}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      record("refused", message);
      process.stderr.write(`${message}\n`);
      return 2;
    }
    record("failed", message);
    process.stderr.write(`ie-podman ${verb}: ${message}\n`);
    return 1;
  }
}

/** The user's words, once this process is known to have been started by the entry script. */
function entryArgv(): readonly string[] | string {
  const problem = startProblem({ argv: process.argv, execArgv: process.execArgv, env: process.env });
  if (problem !== undefined) return `refusing to run: ${problem}; ie-podman starts only through its entry script`;
  try {
    return readEntryArgv();
  } catch (e) {
    return `refusing to run: ${(e as Error).message}; ie-podman starts only through its entry script`;
  }
}

const words = entryArgv();
if (typeof words === "string") {
  process.stderr.write(`ie-podman: ${words}\n`);
  process.exit(2);
}
/**
 * Exit once stdout and stderr have written everything: on a pipe their writes are asynchronous, and an
 * exit at once cuts the output at the pipe's 64 KiB (a long `ps --json` lost its end).
 */
function exitAfterOutput(status: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));
}

main(words).then(exitAfterOutput, (e: unknown) => {
  process.stderr.write(`ie-podman: ${(e as Error).message}\n`);
  exitAfterOutput(1);
});
