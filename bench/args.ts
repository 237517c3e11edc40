/**
 * The command line of `npm run bench`, parsed with node's util.parseArgs into a plain request. Every
 * mistake is reported before anything runs or is written (the runner exits 2 on a UsageError).
 */
import { parseArgs } from "node:util";
import type { BenchPart } from "./types";

export const DEFAULT_RUNS = 3;

/** A mistake on the command line: the message says what was wrong and what is allowed. */
export class UsageError extends Error {}

export interface BenchRequest {
  /** Parts to run, in the list's order. */
  readonly parts: readonly BenchPart[];
  readonly runs: number;
  /** Directory that gets results/, plots/ and REPORT.md; undefined: the bench directory. */
  readonly out?: string;
  /** Regenerate REPORT.md and the plots from the newest results file, measure nothing. */
  readonly reportOnly: boolean;
  readonly help: boolean;
}

export function usage(parts: readonly BenchPart[]): string {
  return [
    "usage: npm run bench [-- --only NAME,...] [--runs N] [--out DIR] [--report-only]",
    "  --only NAME,...  run only these parts (default: all)",
    `  --runs N         measure each thing N times (default ${DEFAULT_RUNS})`,
    "  --out DIR        write results/, plots/ and REPORT.md under DIR (default: bench/)",
    "  --report-only    regenerate REPORT.md and plots from the newest results file",
    "parts:",
    ...parts.map((p) => `  ${p.name.padEnd(10)} ${p.description}${p.needsLab ? " (lab, root)" : ""}`),
  ].join("\n");
}

export function parseBenchArgs(argv: readonly string[], parts: readonly BenchPart[]): BenchRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        only: { type: "string" },
        runs: { type: "string" },
        out: { type: "string" },
        "report-only": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const known = new Map(parts.map((p) => [p.name, p]));
  let chosen = parts;
  if (values.only !== undefined) {
    const names = values.only.split(",").map((n) => n.trim()).filter((n) => n !== "");
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length > 0) throw new UsageError(`--only: no part named ${unknown.join(", ")}; parts are ${parts.map((p) => p.name).join(", ")}`);
    if (names.length === 0) throw new UsageError("--only: name at least one part");
    chosen = parts.filter((p) => names.includes(p.name));
  }
  let runs = DEFAULT_RUNS;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!/^\d+$/.test(values.runs) || !Number.isSafeInteger(runs) || runs < 1) throw new UsageError(`--runs: '${values.runs}' is not a positive whole number`);
  }
  if (values["report-only"] === true && (values.only !== undefined || values.runs !== undefined)) {
    throw new UsageError("--report-only measures nothing: it takes no --only or --runs");
  }
  return { parts: chosen, runs, out: values.out, reportOnly: values["report-only"] === true, help: values.help === true };
}
