/** Plain-text output of the lab CLI: aligned tables and sizes. Pure. */

/** Rows as a table with columns padded to their widest cell; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

/** Bytes as MiB with no decimals, e.g. `87 MiB`. */
export function mib(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** What a teardown removed, for people: cgroup directories counted, everything else named. */
export function summariseRemoved(removed: readonly string[]): string[] {
  const cgroups = removed.filter((r) => r.startsWith("/sys/fs/cgroup/"));
  const rest = removed.filter((r) => !r.startsWith("/sys/fs/cgroup/"));
  return [...rest, ...(cgroups.length > 0 ? [`${cgroups.length} cgroup directories`] : [])];
}
