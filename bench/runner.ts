/**
 * What `npm run bench` does once its arguments are parsed: run the chosen parts (the lab prepared first
 * when one needs it), merge their results into the day's results file, and regenerate the report. A day's
 * first file starts from this machine's newest earlier one: a part not run again keeps its last record (its
 * own date and machine in the report), so running one part never drops the others from the report. The lab
 * and the clock are injected so tests can run this without a lab.
 */
import { existsSync } from "node:fs";
import type { BenchRequest } from "./args";
import { UsageError } from "./args";
import type { Lab } from "./lab";
import { writeReport } from "./report";
import { machineFacts, mergeResults, newestResults, readResults, resultsPath, writeResults, type PartRecord } from "./results";

export interface RunnerDeps {
  readonly lab: Lab;
  readonly isRoot: () => boolean;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  /** Part names in report order. */
  readonly order: readonly string[];
}

/** Measures (unless report-only) and writes; returns the files written. */
export async function runBench(request: BenchRequest, outDir: string, deps: RunnerDeps): Promise<string[]> {
  if (request.reportOnly) {
    const file = newestResults(outDir);
    if (file === undefined) throw new UsageError(`--report-only: no results file under ${outDir}/results: run the parts first`);
    return writeReport(readResults(file), file, outDir, deps.order);
  }
  const labParts = request.parts.filter((p) => p.needsLab);
  if (labParts.length > 0) {
    if (!deps.isRoot()) throw new UsageError(`${labParts.map((p) => p.name).join(", ")} run${labParts.length === 1 ? "s" : ""} on the lab, which needs root: run as root, or choose other parts with --only`);
    if (labParts.some((p) => p.bringsOwnLab !== true)) deps.lab.prepare(deps.log);
  }
  const machine = machineFacts();
  const records: Record<string, PartRecord> = {};
  for (const part of request.parts) {
    deps.log(`${part.name}: ${request.runs} run${request.runs === 1 ? "" : "s"}`);
    const started = deps.now();
    const result = await part.run({ runs: request.runs, log: deps.log });
    records[part.name] = { description: part.description, needsLab: part.needsLab, date: started.toISOString(), runs: request.runs, machine, result };
  }
  const now = deps.now();
  const file = resultsPath(outDir, now, machine.hostname);
  const earlier = existsSync(file) ? file : newestResults(outDir, machine.hostname);
  const merged = mergeResults(earlier !== undefined ? readResults(earlier) : undefined, records, machine, now);
  writeResults(file, merged);
  return [file, ...(await writeReport(merged, file, outDir, deps.order))];
}
