import { describe, expect, it } from "vitest";
import { GiB, MiB, parseDuration, parseSize, toMiB, toSlurmTime } from "./units";

describe("parseSize", () => {
  it.each([
    ["10GiB", 10 * GiB],
    ["512MiB", 512 * MiB],
    ["2TiB", 2 * 1024 ** 4],
    ["1.5GiB", 1.5 * GiB],
    ["100 GB", 100e9],
    ["4KiB", 4096],
    ["7B", 7],
    [" 1MiB ", MiB],
    ["0B", 0],
  ])("%s is %i bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["10", "10G", "10gib", "GiB", "-1GiB", "1e3MiB", "", "ten GiB"])("refuses %j (no known unit)", (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe("parseDuration", () => {
  it.each([
    ["90m", 5400],
    ["12h", 43_200],
    ["7d", 604_800],
    ["2w", 1_209_600],
    ["30s", 30],
    ["1.5h", 5400],
  ])("%s is %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["90", "3 days", "1M", "h", "-1h"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("toMiB", () => {
  it("rounds down to whole MiB", () => {
    expect(toMiB(GiB)).toBe(1024);
    expect(toMiB(MiB + 1)).toBe(1);
    expect(toMiB(MiB - 1)).toBe(0);
  });
});

describe("toSlurmTime", () => {
  it.each([
    [60, "1"],
    [61, "2"],
    [30 * 60, "30"],
    [3600, "01:00:00"],
    [5400, "01:30:00"],
    [86_400, "1-00:00:00"],
    [3 * 86_400 + 7200, "3-02:00:00"],
  ])("%i s is %s", (seconds, text) => {
    expect(toSlurmTime(seconds)).toBe(text);
  });
});
