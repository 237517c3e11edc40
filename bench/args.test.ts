import { describe, expect, it } from "vitest";
import { DEFAULT_RUNS, parseBenchArgs, UsageError } from "./args";
import { fakePart } from "./fixture";

const calls: string[] = [];
const PARTS = [fakePart("program", false, { tables: [] }, calls), fakePart("storage", true, { tables: [] }, calls), fakePart("vm", true, { tables: [] }, calls)];

describe("npm run bench's arguments", () => {
  it("runs every part 3 times by default", () => {
    const r = parseBenchArgs([], PARTS);
    expect(r.parts.map((p) => p.name)).toEqual(["program", "storage", "vm"]);
    expect(r.runs).toBe(DEFAULT_RUNS);
    expect(DEFAULT_RUNS).toBe(3);
    expect(r.reportOnly).toBe(false);
  });

  it("keeps the list's order for --only, whatever order it is given in", () => {
    const r = parseBenchArgs(["--only", "vm,program", "--runs", "5", "--out", "/tmp/x"], PARTS);
    expect(r.parts.map((p) => p.name)).toEqual(["program", "vm"]);
    expect(r.runs).toBe(5);
    expect(r.out).toBe("/tmp/x");
  });

  it.each([
    [["--only", "nosuch"], /no part named nosuch; parts are program, storage, vm/],
    [["--only", ","], /name at least one part/],
    [["--runs", "0"], /'0' is not a positive whole number/],
    [["--runs=-1"], /not a positive whole number/],
    [["--runs", "2.5"], /not a positive whole number/],
    [["--runs", "three"], /not a positive whole number/],
    [["--fast"], /Unknown option '--fast'/],
    [["program"], /positional/],
    [["--report-only", "--runs", "2"], /takes no --only or --runs/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseBenchArgs(argv, PARTS)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv, PARTS)).toThrow(message);
  });
});
