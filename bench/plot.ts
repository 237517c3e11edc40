/**
 * A Plot as an SVG line chart, rendered by Vega headless (renderer "none": no browser, no canvas): the
 * median of every point, one line per series, a legend, axis labels, log2 x when the plot asks for it; or,
 * for a plot with categories, grouped bars.
 * The spec is plain Vega (not Vega-Lite) so that it type-checks with this project's module resolution.
 */
import type { Spec } from "vega";
import { median } from "./stats";
import type { Plot } from "./types";

export const PLOT_WIDTH = 560;
export const PLOT_HEIGHT = 320;

interface Datum {
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

/** What every plot shares: its size, padding, background and title. */
function frame(plot: Plot): Pick<Spec, "width" | "height" | "padding" | "background" | "title"> {
  return { width: PLOT_WIDTH, height: PLOT_HEIGHT, padding: 8, background: "white", title: { text: plot.title } };
}

/** A plot with categories: grouped bars, the median of each series in each category. */
function barSpec(plot: Plot, categories: readonly string[]): Spec {
  const values = plot.series.flatMap((s) => s.points.map((p) => ({ series: s.label, category: categories[p.x] ?? String(p.x), y: median(p.samples) })));
  return {
    ...frame(plot),
    data: [{ name: "bars", values }],
    scales: [
      { name: "x", type: "band", domain: [...categories], range: "width", padding: 0.2 },
      { name: "y", type: "linear", domain: { data: "bars", field: "y" }, range: "height", zero: true, nice: true },
      { name: "color", type: "ordinal", domain: { data: "bars", field: "series" }, range: "category" },
    ],
    axes: [
      { orient: "bottom", scale: "x", title: plot.xLabel, labelAngle: -20, labelAlign: "right", labelLimit: 400 },
      { orient: "left", scale: "y", title: plot.yLabel, grid: true },
    ],
    legends: [{ fill: "color", title: "series", labelLimit: 400 }],
    marks: [
      {
        type: "group",
        from: { facet: { name: "one", data: "bars", groupby: "category" } },
        encode: { enter: { x: { scale: "x", field: "category" } } },
        signals: [{ name: "width", update: "bandwidth('x')" }],
        scales: [{ name: "pos", type: "band", range: "width", domain: { data: "one", field: "series" } }],
        marks: [
          {
            type: "rect",
            from: { data: "one" },
            encode: {
              enter: {
                x: { scale: "pos", field: "series" },
                width: { scale: "pos", band: 1 },
                y: { scale: "y", field: "y" },
                y2: { scale: "y", value: 0 },
                fill: { scale: "color", field: "series" },
              },
            },
          },
        ],
      },
    ],
  };
}

/** The Vega spec of a plot (exported so tests can read what is drawn). */
export function plotSpec(plot: Plot): Spec {
  if (plot.categories !== undefined) return barSpec(plot, plot.categories);
  const values: Datum[] = plot.series.flatMap((s) =>
    [...s.points].sort((a, b) => a.x - b.x).map((p) => ({ series: s.label, x: p.x, y: median(p.samples) })),
  );
  const xs = [...new Set(values.map((v) => v.x))].sort((a, b) => a - b);
  const encode = { x: { scale: "x", field: "x" }, y: { scale: "y", field: "y" } };
  return {
    ...frame(plot),
    data: [{ name: "points", values }],
    scales: [
      plot.xLog2 === true
        ? { name: "x", type: "log", base: 2, domain: { data: "points", field: "x" }, range: "width", nice: false }
        : { name: "x", type: "linear", domain: { data: "points", field: "x" }, range: "width", zero: false, nice: true },
      { name: "y", type: "linear", domain: { data: "points", field: "y" }, range: "height", zero: true, nice: true },
      { name: "color", type: "ordinal", domain: { data: "points", field: "series" }, range: "category" },
    ],
    axes: [
      // The measured x values as ticks: with few points (sizes, doubling file sizes) they are the ones to read.
      { orient: "bottom", scale: "x", title: plot.xLabel, values: xs, labelOverlap: true },
      { orient: "left", scale: "y", title: plot.yLabel, grid: true },
    ],
    // Series names are whole phrases ("CephFS home (ceph-fuse)"): no truncation.
    legends: [{ stroke: "color", fill: "color", title: "series", symbolType: "circle", labelLimit: 400 }],
    marks: [
      {
        type: "group",
        from: { facet: { name: "one", data: "points", groupby: "series" } },
        marks: [
          { type: "line", from: { data: "one" }, encode: { enter: { ...encode, stroke: { scale: "color", field: "series" }, strokeWidth: { value: 2 } } } },
          { type: "symbol", from: { data: "one" }, encode: { enter: { ...encode, fill: { scale: "color", field: "series" }, size: { value: 36 } } } },
        ],
      },
    ],
  };
}

/** The plot as SVG text. */
export async function renderPlot(plot: Plot): Promise<string> {
  // vega is an ES module with top-level await: loaded by import(), which CommonJS code may do.
  const vega = await import("vega");
  const view = new vega.View(vega.parse(plotSpec(plot)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
