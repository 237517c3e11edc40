/**
 * What a benchmark part measures and hands to the report: raw samples only (the report computes median,
 * min, max and ratios). A part runs each measurement `runs` times.
 */

/** One measured thing, e.g. "ie-podman run --rm base true", with every run's value. */
export interface Row {
  readonly label: string;
  /** One value per run, in the table's unit. */
  readonly samples: readonly number[];
  /** Free text shown beside the row (e.g. "cold", "goal ≤ 1.15×"). */
  readonly note?: string;
}

/** A table of the report: rows in one unit, with ratios against the reference row when one is named. */
export interface Table {
  readonly title: string;
  /** "s", "ms", "MB/s", "bytes", "runs/s"... */
  readonly unit: string;
  /** The label of the row that the ratios are taken against. */
  readonly reference?: string;
  /** True when a larger value is better (MB/s): the ratio is then reference / row, so >1 means slower. */
  readonly higherIsBetter?: boolean;
  readonly rows: readonly Row[];
}

/** A line plot: one series per line, each point with every run's value (the plot shows the median). */
export interface Plot {
  /** File name stem of the SVG (bench/plots/<id>.svg). */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Plot x on a log2 scale (file sizes doubling). */
  readonly xLog2?: boolean;
  /**
   * Named categories instead of a numeric x: the plot is then a grouped bar chart, each point's x the index of
   * its category here (e.g. the engines of an image build, with one bar per series in each).
   */
  readonly categories?: readonly string[];
  readonly series: readonly { readonly label: string; readonly points: readonly { readonly x: number; readonly samples: readonly number[] }[] }[];
}

export interface PartResult {
  readonly tables: readonly Table[];
  readonly plots?: readonly Plot[];
  /** Sentences for the report under the part's heading (what was measured, how, caveats). */
  readonly notes?: readonly string[];
  /** Versions of what was measured (podman, ceph, qemu...). */
  readonly versions?: Readonly<Record<string, string>>;
}

export interface BenchContext {
  readonly runs: number;
  /** Progress lines (to stderr). */
  readonly log: (line: string) => void;
}

export interface BenchPart {
  readonly name: string;
  /** One line for `--help` and the report. */
  readonly description: string;
  /** The part runs on the lab: the runner brings the lab up (and applies the lab stack) first. */
  readonly needsLab: boolean;
  /**
   * The part takes the lab down and brings it up itself (and leaves it up and applied): the runner does not
   * prepare the lab for it. Default false.
   */
  readonly bringsOwnLab?: boolean;
  run(ctx: BenchContext): Promise<PartResult>;
}
