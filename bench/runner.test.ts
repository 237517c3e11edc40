/**
 * The runner with a fake lab and fake parts: the lab is prepared (up, then apply) only for parts that need
 * it and only as root; results of parts run one at a time merge into one file per day and host.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError, type BenchRequest } from "./args";
import { fakePart } from "./fixture";
import type { ResultsFile } from "./results";
import { runBench, type RunnerDeps } from "./runner";
import type { PartResult } from "./types";

const dir = mkdtempSync(join(tmpdir(), "bench-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = (seconds: number): PartResult => ({ tables: [{ title: "t", unit: "s", rows: [{ label: "a", samples: [seconds] }] }] });

function deps(calls: string[], root: boolean): RunnerDeps {
  return {
    lab: { prepare: () => void calls.push("lab up + apply") },
    isRoot: () => root,
    now: () => new Date("2026-03-04T05:06:07Z"),
    log: () => undefined,
    order: ["program", "storage"],
  };
}

function request(parts: BenchRequest["parts"], reportOnly = false): BenchRequest {
  return { parts, runs: 2, reportOnly, help: false };
}

const resultsFile = join(dir, "results", `2026-03-04-${hostname()}.json`);
const read = (): ResultsFile => JSON.parse(readFileSync(resultsFile, "utf8")) as ResultsFile;

describe("the bench runner", () => {
  it("does not touch the lab for parts that do not need it", async () => {
    const calls: string[] = [];
    await runBench(request([fakePart("program", false, result(1), calls)]), dir, deps(calls, false));
    expect(calls).toEqual(["program x2"]);
    expect(Object.keys(read().parts)).toEqual(["program"]);
    expect(read().parts.program.runs).toBe(2);
    expect(read().machine.cpus).toBeGreaterThan(0);
  });

  it("prepares the lab once, before the first part, when a part needs it", async () => {
    const calls: string[] = [];
    await runBench(request([fakePart("program", false, result(2), calls), fakePart("storage", true, result(3), calls)]), dir, deps(calls, true));
    expect(calls).toEqual(["lab up + apply", "program x2", "storage x2"]);
  });

  it("leaves the lab to a part that brings its own, and still wants root for it", async () => {
    const calls: string[] = [];
    const own = { ...fakePart("apply", true, result(4), calls), bringsOwnLab: true };
    await runBench(request([own]), dir, deps(calls, true));
    expect(calls).toEqual(["apply x2"]);
    await expect(runBench(request([own]), join(dir, "other"), deps([], false))).rejects.toThrow(/apply runs on the lab, which needs root/);
  });

  it("merges a part run alone into the day's file, replacing only that part's result", async () => {
    const calls: string[] = [];
    await runBench(request([fakePart("program", false, result(9), calls)]), dir, deps(calls, false));
    const parts = read().parts;
    expect(parts.program.result.tables[0].rows[0].samples).toEqual([9]);
    expect(parts.storage.result.tables[0].rows[0].samples).toEqual([3]);
    const report = readFileSync(join(dir, "REPORT.md"), "utf8");
    expect(report.indexOf("## program")).toBeLessThan(report.indexOf("## storage"));
  });

  it("starts a new day's file from this machine's newest one, so a part run alone keeps the others in the report", async () => {
    const calls: string[] = [];
    const nextDay = { ...deps(calls, false), now: () => new Date("2026-03-05T01:02:03Z") };
    await runBench(request([fakePart("program", false, result(7), calls)]), dir, nextDay);
    const next = JSON.parse(readFileSync(join(dir, "results", `2026-03-05-${hostname()}.json`), "utf8")) as ResultsFile;
    expect(next.parts.program.result.tables[0].rows[0].samples).toEqual([7]);
    expect(next.parts.storage.result.tables[0].rows[0].samples).toEqual([3]);
    expect(next.parts.storage.date).toBe("2026-03-04T05:06:07.000Z");
    expect(readFileSync(join(dir, "REPORT.md"), "utf8")).toContain("## storage");
    rmSync(join(dir, "results", `2026-03-05-${hostname()}.json`));
  });

  it("refuses lab parts when not root, before running or writing anything", async () => {
    const calls: string[] = [];
    const other = join(dir, "other");
    await expect(runBench(request([fakePart("vm", true, result(1), calls)]), other, deps(calls, false))).rejects.toThrow(UsageError);
    await expect(runBench(request([fakePart("vm", true, result(1), calls)]), other, deps(calls, false))).rejects.toThrow(/vm runs on the lab, which needs root/);
    expect(calls).toEqual([]);
    expect(existsSync(other)).toBe(false);
  });

  it("regenerates the report from the newest results file with --report-only", async () => {
    rmSync(join(dir, "REPORT.md"));
    const written = await runBench(request([], true), dir, deps([], false));
    expect(written).toEqual([join(dir, "REPORT.md")]);
    expect(readFileSync(join(dir, "REPORT.md"), "utf8")).toContain(`results/2026-03-04-${hostname()}.json`);
    await expect(runBench(request([], true), join(dir, "empty"), deps([], false))).rejects.toThrow(/no results file/);
  });
});
