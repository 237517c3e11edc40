/**
 * What the runner does before a part that needs the lab: the project's own `npm run lab -- up`, then
 * `npm run lab -- apply` (both idempotent: an up lab stays up, an applied lab re-applies as a no-op).
 * Spawned as test/lab does, with the project's tsx, output passed through so progress shows.
 */
import { labCli } from "../test/lab/support";

export interface Lab {
  /** Brings the lab up and applies the lab stack; throws when either fails. */
  prepare(log: (line: string) => void): void;
}

function labCommand(verb: "up" | "apply"): void {
  const r = labCli([verb], { show: true });
  if (r.code !== 0) throw new Error(`npm run lab -- ${verb} failed (exit ${r.code}${r.stderr}): the lab parts were not run`);
}

export const projectLab: Lab = {
  prepare(log) {
    log("lab: up");
    labCommand("up");
    log("lab: apply");
    labCommand("apply");
  },
};
