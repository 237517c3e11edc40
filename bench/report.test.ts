/**
 * The report from a fixture results file: tables with median, min, max and ratios, and every plot an SVG
 * that renders (converted to PNG by resvg, which is no browser either).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURE_RESULTS } from "./fixture";
import { PLOT_HEIGHT, PLOT_WIDTH } from "./plot";
import { tableMarkdown, writeReport } from "./report";

const dir = mkdtempSync(join(tmpdir(), "bench-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the benchmark report", () => {
  let written: string[] = [];
  let report = "";

  it("writes REPORT.md and one SVG per plot", async () => {
    written = await writeReport(FIXTURE_RESULTS, join(dir, "results", "2026-01-02-labmachine.json"), dir, ["build", "storage"]);
    expect(written.map((f) => f.slice(dir.length + 1)).sort()).toEqual(["REPORT.md", "plots/build.svg", "plots/storage-read.svg", "plots/storage-write.svg"]);
    report = readFileSync(join(dir, "REPORT.md"), "utf8");
  });

  it("orders parts as the part list does, each with its description, notes, plots and versions", () => {
    expect(report.indexOf("## build")).toBeGreaterThan(0);
    expect(report.indexOf("## build")).toBeLessThan(report.indexOf("## storage"));
    expect(report).toContain("results/2026-01-02-labmachine.json");
    expect(report).toContain("dd write and read on every storage.");
    expect(report).toContain("Caches dropped before every read.");
    expect(report).toContain("![Write speed by file size](plots/storage-write.svg)");
    expect(report).toContain("Versions: ceph 19.2.1.");
  });

  it("gives median, min, max and the ratio against the reference, > 1 being worse either way", () => {
    expect(report).toContain("| rootless vfs | 70 | 69 | 72 | 2.59× | 3 |  |");
    expect(report).toContain("| rootful podman | 27 | 26 | 28 | 1 (reference) | 3 |  |");
    // MB/s: higher is better, so the ratio is reference / row (410 / 105).
    expect(report).toContain("(MB/s, higher is better)");
    expect(report).toContain("| CephFS home | 105 | 100 | 110 | 3.90× | 3 | ceph-fuse |");
  });

  it("says so when the reference row is missing", () => {
    const text = tableMarkdown({ title: "t", unit: "s", reference: "nosuch", rows: [{ label: "a", samples: [1] }] }).join("\n");
    expect(text).toContain("No row is labelled 'nosuch'");
    expect(text).not.toContain("| ratio |");
  });

  it("renders every SVG it wrote to a PNG of the plot's size that is not blank", async () => {
    const { Resvg } = await import("@resvg/resvg-js");
    const svgs = written.filter((f) => f.endsWith(".svg"));
    // Two line charts and one of grouped bars.
    expect(svgs.length).toBe(3);
    for (const file of svgs) {
      const image = new Resvg(readFileSync(file, "utf8")).render();
      // The plot area plus axes, titles and legend around it.
      expect(image.width).toBeGreaterThan(PLOT_WIDTH);
      expect(image.width).toBeLessThan(PLOT_WIDTH + 300);
      expect(image.height).toBeGreaterThan(PLOT_HEIGHT);
      expect(image.height).toBeLessThan(PLOT_HEIGHT + 200);
      expect(image.asPng().subarray(1, 4).toString()).toBe("PNG");
      // Not blank: a good share of pixels differ from the white background (lines, axes, text).
      const rgba = image.pixels;
      let drawn = 0;
      for (let i = 0; i < rgba.length; i += 4) if (rgba[i] < 200 || rgba[i + 1] < 200 || rgba[i + 2] < 200) drawn++;
      expect(drawn).toBeGreaterThan((image.width * image.height) / 100);
    }
  });
});
