/**
 * What the runner does before a part that needs the lab: the project's own `npm run lab -- up`, then
 * `npm run lab -- apply` (both idempotent: an up lab stays up, an applied lab re-applies as a no-op).
 * Spawned as test/lab does, with the project's tsx, output passed through so progress shows.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../components/host/scripts";

export interface Lab {
  /** Brings the lab up and applies the lab stack; throws when either fails. */
  prepare(log: (line: string) => void): void;
}

function labCommand(verb: "up" | "apply"): void {
  const r = spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/lab/cli.ts", verb], { cwd: PROJECT_ROOT, stdio: ["ignore", process.stderr, process.stderr] });
  if (r.status !== 0) throw new Error(`npm run lab -- ${verb} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): the lab parts were not run`);
}

export const projectLab: Lab = {
  prepare(log) {
    log("lab: up");
    labCommand("up");
    log("lab: apply");
    labCommand("apply");
  },
};
