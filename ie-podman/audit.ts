/**
 * The audit log: one JSON line per decision (who, which verb and arguments, allowed or refused and why,
 * and failures), appended to a root-only file. Admins read it with `jq`; nothing in it is secret.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";

export type Decision = "allowed" | "refused" | "failed" | "done";

export interface AuditRecord {
  readonly time: string;
  readonly uid: number;
  readonly user: string;
  readonly verb: string;
  readonly args: readonly string[];
  readonly decision: Decision;
  readonly detail?: string;
}

/** One line of the log. */
export function auditLine(record: AuditRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Appends a record; the directory and the file are made root-only on first use. */
export function audit(file: string, record: Omit<AuditRecord, "time">): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, auditLine({ time: new Date().toISOString(), ...record }), { mode: 0o600 });
}
