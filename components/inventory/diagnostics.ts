/**
 * Problems found in a stack definition, in the form every tool prints them: `FILE:LINE:COL: error: hosts[2].name:
 * what is wrong and what to do`. Checks produce them without positions; the loader adds file, line and column.
 */

export type Severity = "error" | "warning";

/** A field of the inventory: keys and list indexes below the `ie:` namespace, e.g. `["hosts", 2, "name"]`. */
export type FieldPath = readonly (string | number)[];

export interface Diagnostic {
  readonly severity: Severity;
  /** Inventory path WITHOUT `config` and the `ie:` prefix, e.g. `["hosts", 2, "name"]`. Empty for the whole file. */
  readonly path: FieldPath;
  /** What is wrong and what to do about it. */
  readonly message: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

export function error(path: FieldPath, message: string): Diagnostic {
  return { severity: "error", path, message };
}

export function warning(path: FieldPath, message: string): Diagnostic {
  return { severity: "warning", path, message };
}

/** A field path as admins read it: `hosts[2].name`, `ceph.pools[0].size`. */
export function formatFieldPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

/** `FILE:LINE:COL: error: hosts[2].name: message`; `FILE: error: ...` when there is no position. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.line === undefined ? undefined : d.column].filter((p) => p !== undefined);
  const field = formatFieldPath(d.path);
  const parts = [...(where.length > 0 ? [where.join(":")] : []), d.severity, ...(field ? [field] : []), d.message];
  return parts.join(": ");
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Errors and warnings in a list, for summaries. */
export function countDiagnostics(ds: readonly Diagnostic[]): { readonly errors: number; readonly warnings: number } {
  const errors = ds.filter((d) => d.severity === "error").length;
  return { errors, warnings: ds.length - errors };
}
