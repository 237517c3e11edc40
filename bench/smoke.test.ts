/**
 * `npm run bench` as a command: the program part writes its results and the report (its speed is not
 * judged here: benchmarks stay out of the tests' pass/fail), and a usage mistake exits 2 writing nothing.
 * Small stacks keep it quick on a 2-core machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../components/host/scripts";
import type { ResultsFile } from "./results";

const dir = mkdtempSync(join(tmpdir(), "bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: readonly string[]): { status: number | null; stderr: string } {
  const r = spawnSync("npm", ["run", "--silent", "bench", "--", ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, BENCH_PROGRAM_HOSTS: "3" },
  });
  return { status: r.status, stderr: r.stderr };
}

describe("npm run bench", () => {
  it("writes the results file and REPORT.md with the program part", () => {
    const r = bench(["--only", "program", "--runs", "1", "--out", dir]);
    expect(r.stderr).not.toMatch(/bench: /);
    expect(r.status).toBe(0);
    const files = readdirSync(join(dir, "results"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-.+\.json$/);
    const results = JSON.parse(readFileSync(join(dir, "results", files[0]), "utf8")) as ResultsFile;
    const program = results.parts.program;
    expect(program.runs).toBe(1);
    expect(program.result.tables.map((t) => t.unit)).toEqual(["s", "bytes"]);
    for (const table of program.result.tables) expect(table.rows.map((row) => row.samples.length)).toEqual([1]);
    expect(results.machine.node).toBe(process.version);
    const report = readFileSync(join(dir, "REPORT.md"), "utf8");
    expect(report).toContain("## program");
    expect(report).toContain("| 3 hosts |");
    expect(existsSync(join(dir, "plots", "program-seconds.svg"))).toBe(true);
  }, 120_000);

  it("exits 2 on an unknown part, writing nothing", () => {
    const out = join(dir, "bad");
    const r = bench(["--only", "nosuch", "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no part named nosuch");
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
