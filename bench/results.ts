/**
 * The results file, bench/results/<YYYY-MM-DD>-<host>.json: every part's raw samples with the machine it
 * ran on. Parts run one at a time merge into the day's file (a part's new result replaces its old one; a day's
 * first file starts from the machine's newest earlier one), so one file and one report can be built up over
 * several invocations and days.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, hostname, release, totalmem } from "node:os";
import { join } from "node:path";
import type { PartResult } from "./types";

/** What the machine was when a part ran. */
export interface MachineFacts {
  readonly hostname: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  /** `uname -r`. */
  readonly kernel: string;
  /** PRETTY_NAME of /etc/os-release. */
  readonly os: string;
  readonly node: string;
}

export interface PartRecord {
  readonly description: string;
  readonly needsLab: boolean;
  /** When the part ran (ISO 8601). */
  readonly date: string;
  readonly runs: number;
  readonly machine: MachineFacts;
  readonly result: PartResult;
}

export interface ResultsFile {
  /** When the file was last written (ISO 8601). */
  readonly date: string;
  /** The machine of the last write; every part also keeps its own. */
  readonly machine: MachineFacts;
  /** By part name. */
  readonly parts: Readonly<Record<string, PartRecord>>;
}

export function machineFacts(): MachineFacts {
  let os = "unknown";
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? os;
  } catch {
    // Not every system has /etc/os-release; the fact is then "unknown".
  }
  const cpuList = cpus();
  return { hostname: hostname(), cpus: cpuList.length, cpuModel: cpuList[0]?.model ?? "unknown", memoryBytes: totalmem(), kernel: release(), os, node: process.version };
}

/** results/<YYYY-MM-DD>-<host>.json under `outDir`, the date in UTC. */
export function resultsPath(outDir: string, now: Date, host: string): string {
  return join(outDir, "results", `${now.toISOString().slice(0, 10)}-${host}.json`);
}

export function readResults(file: string): ResultsFile {
  const data = JSON.parse(readFileSync(file, "utf8")) as ResultsFile;
  if (typeof data !== "object" || data === null || typeof data.parts !== "object") throw new Error(`${file}: not a bench results file (no "parts")`);
  return data;
}

/** The file with `records` merged into what `file` already holds. */
export function mergeResults(previous: ResultsFile | undefined, records: Readonly<Record<string, PartRecord>>, machine: MachineFacts, now: Date): ResultsFile {
  return { date: now.toISOString(), machine, parts: { ...(previous?.parts ?? {}), ...records } };
}

export function writeResults(file: string, results: ResultsFile): void {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** The most recently written results file under `outDir` (of `host` only, when given), or undefined when there is none. */
export function newestResults(outDir: string, host?: string): string | undefined {
  const dir = join(outDir, "results");
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    // <YYYY-MM-DD>-<host>.json: the host is what lies between the date and the extension.
    .filter((f) => /^\d{4}-\d{2}-\d{2}-.+\.json$/.test(f) && (host === undefined || f.slice(11, -".json".length) === host))
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs || b.localeCompare(a))[0];
}
