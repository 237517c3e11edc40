/**
 * The drift report: each managed file as the stack wants it against what its host has. Pure: the CLI reads
 * the hosts, this decides what differs and how it is shown. A secret's content is never shown, not even as
 * a diff line or a hash; binary content is compared but not printed.
 */
import { createTwoFilesPatch } from "diff";
import { digestDifferences, fileDifferences, normalMode, type FileField, type ObservedDigest, type ObservedFile } from "../../components/host/remoteFile";
import type { WantedFile } from "./collect";

export type FileStatus = "same" | "differs" | "missing";

export interface FileReport {
  readonly path: string;
  readonly resource: string;
  readonly status: FileStatus;
  readonly fields: readonly FileField[];
  /** Unified diff host -> stack, for text content that is not secret. */
  readonly diff?: string;
  /** What was on the host (mode, owner) when they differ, and why content is not shown or not compared. */
  readonly notes: readonly string[];
}

export interface HostReport {
  readonly host: string;
  readonly address: string;
  readonly reachable: boolean;
  /** Why the host could not be read: reported, never counted as drift. */
  readonly error?: string;
  readonly files: readonly FileReport[];
}

export interface DriftReport {
  readonly stack: string;
  /** Some reachable host has a file that differs from the stack. */
  readonly drift: boolean;
  readonly unreachable: readonly string[];
  readonly hosts: readonly HostReport[];
}

/**
 * One file against the host's copy. `host` names the host in the diff header. A file kept by digest is read
 * by digest (`observed` an ObservedDigest): a changed binary shows as its sha256 and size, host against stack.
 */
export function compareFile(host: string, wanted: WantedFile, observed: ObservedFile | ObservedDigest): FileReport {
  const base = { path: wanted.path, resource: wanted.resource };
  if (observed.kind !== "file") {
    return { ...base, status: "missing", fields: ["presence"], notes: [`the host has ${observed.kind === "absent" ? "no file" : `a ${observed.kind}`} at ${wanted.path}`] };
  }
  if (wanted.keep === "sha256" || !("content" in observed)) {
    if (wanted.keep !== "sha256" || !("sha256" in observed)) throw new Error(`${wanted.path}: read by content and kept by digest, or the reverse`);
    const fields = digestDifferences(observed, wanted);
    const notes = modeOwnerNotes(fields, observed, wanted);
    if (fields.includes("content")) notes.unshift(`content differs: sha256 ${observed.sha256} (${observed.size} bytes) on the host, ${wanted.sha256} (${wanted.size} bytes) in the stack`);
    return { ...base, status: fields.length === 0 ? "same" : "differs", fields, notes };
  }
  const notes: string[] = [];
  const contentKnown = wanted.content !== undefined;
  const fields = fileDifferences(observed, { ...wanted, content: wanted.content ?? observed.content });
  if (!contentKnown) notes.push("content not compared: it is generated at apply time and only the stack's state holds it");
  notes.push(...modeOwnerNotes(fields, observed, wanted));
  let diff: string | undefined;
  if (fields.includes("content") && wanted.content !== undefined) {
    if (wanted.secret) notes.push("content differs (a secret: not shown)");
    else if (wanted.encoding === "base64") notes.push("content differs (binary: not shown)");
    else diff = createTwoFilesPatch(`${host}:${wanted.path}`, `stack:${wanted.path}`, observed.content, wanted.content, "on the host", "in the stack");
  }
  return { ...base, status: fields.length === 0 ? "same" : "differs", fields, notes, ...(diff !== undefined ? { diff } : {}) };
}

function modeOwnerNotes(fields: readonly FileField[], observed: { readonly mode: string; readonly owner: string }, wanted: WantedFile): string[] {
  return [
    ...(fields.includes("mode") ? [`mode on the host ${observed.mode}, in the stack ${normalMode(wanted.mode)}`] : []),
    ...(fields.includes("owner") ? [`owner on the host ${observed.owner}, in the stack ${wanted.owner}`] : []),
  ];
}

export function driftReport(stack: string, hosts: readonly HostReport[]): DriftReport {
  return {
    stack,
    drift: hosts.some((h) => h.files.some((f) => f.status !== "same")),
    unreachable: hosts.filter((h) => !h.reachable).map((h) => h.host),
    hosts,
  };
}

/** The report as an admin reads it: a line per host, a line per file that differs, the diffs. */
export function formatReport(report: DriftReport): string {
  const lines: string[] = [];
  for (const h of report.hosts) {
    if (!h.reachable) {
      lines.push(`${h.host} (${h.address}): UNREACHABLE, not checked: ${h.error ?? "no answer"}`);
      continue;
    }
    const differing = h.files.filter((f) => f.status !== "same");
    lines.push(`${h.host} (${h.address}): ${differing.length === 0 ? `${h.files.length} files as the stack wants them` : `${differing.length} of ${h.files.length} files differ`}`);
    for (const f of h.files) {
      if (f.status === "same" && f.notes.length === 0) continue;
      lines.push(`  ${f.status === "same" ? "same   " : f.status === "missing" ? "MISSING" : "DIFFERS"} ${f.path}${f.fields.length > 0 ? ` (${f.fields.join(", ")})` : ""}`);
      for (const n of f.notes) lines.push(`          ${n}`);
      if (f.diff !== undefined) lines.push(...f.diff.trimEnd().split("\n").map((l) => `    ${l}`));
    }
  }
  const files = report.hosts.reduce((n, h) => n + h.files.length, 0);
  const verdict = report.drift ? "DRIFT" : report.unreachable.length > 0 ? "no drift on the hosts reached" : "no drift";
  lines.push(`${verdict}: stack ${report.stack}, ${report.hosts.length} hosts, ${files} managed files` + (report.unreachable.length > 0 ? `; unreachable: ${report.unreachable.join(", ")}` : ""));
  return `${lines.join("\n")}\n`;
}
