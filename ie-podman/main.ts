/**
 * ie-podman's entry point (bundled to one file and installed as /usr/local/bin/ie-podman, run through a
 * sudoers rule): who is asking, which verb, the audit line of every decision, exit statuses.
 *
 * Exit status: the container's or podman's own for attached verbs; 0 done; 1 failed (podman failed, pool
 * exhausted, ...); 2 refused or wrong usage.
 */
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { audit } from "./audit";
import { type PasswdEntry, identify, parsePasswdLine } from "./caller";
import { loadHostConfig } from "./config";
import { UsageError, type VerbContext } from "./context";
import { HELP, overview, verbHelp } from "./help";
import { PolicyError } from "./policy";
import { build, images, sif } from "./verbs/images";
import { exec, inspect, logs, rm, start, stop } from "./verbs/manage";
import { ps } from "./verbs/ps";
import { reap } from "./verbs/reap";
import { run } from "./verbs/run";

type Verb = (argv: readonly string[], ctx: VerbContext) => Promise<number>;

const VERBS: Readonly<Record<string, Verb>> = { run, ps, stop, start, rm, logs, exec, inspect, build, images, sif, reap };

function lookupPasswd(uid: number): PasswdEntry | undefined {
  const r = spawnSync("getent", ["passwd", String(uid)], { encoding: "utf8" });
  return r.status === 0 ? parsePasswdLine(r.stdout) : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    process.stdout.write(overview());
    return verb === undefined ? 2 : 0;
  }
  const handler = VERBS[verb];
  if (handler === undefined || !Object.hasOwn(HELP, verb)) {
    process.stderr.write(`ie-podman: unknown verb '${verb}'\n\n${overview()}`);
    return 2;
  }
  if (rest[0] === "--help" || rest[0] === "-h") {
    process.stdout.write(verbHelp(verb));
    return 0;
  }

  const identity = identify(process.geteuid?.() ?? -1, process.env, lookupPasswd);
  if (identity.kind === "unprivileged") {
    // Users type `ie-podman ...`; the sudoers rule lets this very file run as root, and sudo tells it who called.
    const self = realpathSync(process.argv[1]);
    const r = spawnSync("sudo", ["-n", "--", self, ...argv], { stdio: "inherit" });
    return r.status ?? 1;
  }
  const caller = identity.kind === "user" ? identity.caller : undefined;
  const config = loadHostConfig();
  const who = caller !== undefined ? { uid: caller.uid, user: caller.user } : { uid: 0, user: "root" };
  const record = (decision: "allowed" | "refused" | "failed", detail: string) => audit(config.auditLog, { ...who, verb, args: rest, decision, detail });
  const ctx: VerbContext = { config, caller, allowed: (detail) => record("allowed", detail), now: () => Math.floor(Date.now() / 1000) };
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

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`ie-podman: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
