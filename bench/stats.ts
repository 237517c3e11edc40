/** The figures a report shows of a row's raw samples. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How many times worse than the reference a row is, by medians: row / reference when lower is better,
 * reference / row when higher is better, so > 1 always means worse than the reference.
 */
export function ratio(row: readonly number[], reference: readonly number[], higherIsBetter: boolean): number {
  const r = median(row);
  const ref = median(reference);
  return higherIsBetter ? ref / r : r / ref;
}

/** A number for a table: whole numbers as they are, others to 3 significant digits. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(3);
}
