/** What every verb gets: the host's configuration, who is asking, and how to record the decision. */
import { existsSync, realpathSync } from "node:fs";
import type { Caller } from "./caller";
import type { HostConfig } from "./config";
import type { PolicyContext } from "./policy";
import type { SlurmRunner } from "./slurm-gpus";

export interface VerbContext {
  readonly config: HostConfig;
  /** The real caller (from sudo); undefined for the admin (root without sudo). */
  readonly caller?: Caller;
  /** Records the decision to act (the audit log's "allowed" line). */
  readonly allowed: (detail: string) => void;
  /** Unix seconds now. */
  readonly now: () => number;
  /** Runs Slurm's commands (slurm-gpus.ts `runSlurm`; a fake in tests). Used only where the configuration has `slurm`. */
  readonly slurm: SlurmRunner;
}

/** A usage error: wrong arguments to a verb (not a policy decision). */
export class UsageError extends Error {}

/** The caller, for verbs only users run. */
export function userOf(ctx: VerbContext): Caller {
  if (ctx.caller === undefined) throw new UsageError("this verb acts for a user: run it as the user (root uses podman itself)");
  return ctx.caller;
}

export function policyContext(caller: Caller, config: HostConfig): PolicyContext {
  return { caller, realpath: (p) => realpathSync(p), limits: config.limits, ...(config.slurm !== undefined ? { slurm: { maxTimeMinutes: config.slurm.maxTimeMinutes } } : {}) };
}

/** The GPU driver nodes of the configuration that exist on this host. */
export function presentDevices(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}
