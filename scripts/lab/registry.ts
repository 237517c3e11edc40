/**
 * The lab's own record of the hosts it booted, whatever stack file named them: `.lab/run/<host>.json` beside
 * the PID file. `up` writes it before the host starts and `down` removes it with the host, so that status,
 * ssh, check, restart and down know a host booted by `up --config-file FILE` (its address, roles, GPUs and
 * where its key is pinned) without FILE. The parsing and merging here are pure.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { NAME_RE, ROLES, type Role } from "../../components/inventory/schema";
import { keyOf } from "./boot-wait";
import { hostRecordPath, projectRoot, runDir } from "./paths";
import type { LabGpus, LabHostSpec, LabPlan } from "./plan";
import type { PinnedHostKey } from "./ssh";

export interface HostRecord extends LabHostSpec {
  /** The lab subnet the host was booted on (CIDR), e.g. `10.77.0.0/24`. */
  readonly subnet: string;
  /** The stack file `up` last read the host from, as named in messages. */
  readonly source: string;
}

/** What `up` writes for one host of a plan. */
export function recordOf(plan: LabPlan, host: LabHostSpec): HostRecord {
  return { ...host, subnet: plan.subnet, source: plan.source };
}

/**
 * A host of the default stack as a record: for hosts booted before the lab kept records (a lab that was up
 * when this code arrived), which only that stack can have booted.
 */
export function recordFromDefault(plan: LabPlan, name: string): HostRecord | undefined {
  const host = plan.hosts.find((h) => h.name === name);
  return host === undefined ? undefined : recordOf(plan, host);
}

/** A record file's text, checked; undefined when it is not a record of host `name`. */
export function parseHostRecord(text: string, name: string): HostRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const strings = ["name", "address", "subnet", "source", "hostKeyFile"].every((k) => typeof r[k] === "string");
  const roles = Array.isArray(r.roles) && r.roles.every((x) => typeof x === "string" && (ROLES as readonly string[]).includes(x));
  if (!strings || !roles || r.name !== name) return undefined;
  const gpus = r.gpus as Partial<LabGpus> | undefined;
  const gpusOk =
    gpus === undefined || (typeof gpus.type === "string" && typeof gpus.count === "number" && typeof gpus.devicePrefix === "string");
  if (!gpusOk) return undefined;
  return {
    name,
    address: r.address as string,
    roles: r.roles as Role[],
    ...(gpus !== undefined ? { gpus: { type: gpus.type as string, count: gpus.count as number, devicePrefix: gpus.devicePrefix as string } } : {}),
    hostKeyFile: r.hostKeyFile as string,
    subnet: r.subnet as string,
    source: r.source as string,
  };
}

/** Host names that the run dir's entries speak of: `<host>.pid` and `<host>.json` (other files are not hosts). */
export function hostNamesIn(entries: readonly string[]): string[] {
  const names = entries
    .map((e) => /^(.+)\.(pid|json)$/.exec(e)?.[1])
    .filter((n): n is string => n !== undefined && NAME_RE.test(n));
  return [...new Set(names)].sort();
}

/** Host names with a PID file or a record in the run dir. */
export function runDirHostNames(): string[] {
  return existsSync(runDir()) ? hostNamesIn(readdirSync(runDir())) : [];
}

export function readHostRecord(name: string): HostRecord | undefined {
  const file = hostRecordPath(name);
  return existsSync(file) ? parseHostRecord(readFileSync(file, "utf8"), name) : undefined;
}

/** Write a host's record (left untouched when it says the same already). */
export function writeHostRecord(record: HostRecord): void {
  mkdirSync(runDir(), { recursive: true });
  const file = hostRecordPath(record.name);
  const text = `${JSON.stringify(record, null, 1)}\n`;
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Remove a host's record; returns the file when there was one. */
export function removeHostRecord(name: string): string | undefined {
  const file = hostRecordPath(name);
  if (!existsSync(file)) return undefined;
  rmSync(file);
  return file;
}

/**
 * The lab's hosts, for status, ssh, check and restart: those the default stack declares, in its order, then
 * those only the run dir knows (booted from another stack file, or left stopped), by name. A running host is
 * described by its record (what was booted); any other by the default stack when that declares it.
 */
export function mergeHosts(declared: readonly LabHostSpec[], recorded: readonly HostRecord[], running: ReadonlySet<string>): LabHostSpec[] {
  const byName = new Map(recorded.map((r) => [r.name, r]));
  const spec = (r: HostRecord): LabHostSpec => ({
    name: r.name,
    address: r.address,
    roles: r.roles,
    ...(r.gpus ? { gpus: r.gpus } : {}),
    hostKeyFile: r.hostKeyFile,
  });
  const fromStack = declared.map((h) => {
    const record = byName.get(h.name);
    return record !== undefined && running.has(h.name) ? spec(record) : h;
  });
  const others = recorded
    .filter((r) => !declared.some((h) => h.name === r.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(spec);
  return [...fromStack, ...others];
}

/** A record for each name: its own, else the default stack's host of that name (older labs kept none). */
export function recordsFor(names: readonly string[], defaults: LabPlan | undefined): { records: HostRecord[]; undescribed: string[] } {
  const records: HostRecord[] = [];
  const undescribed: string[] = [];
  for (const name of names) {
    const record = readHostRecord(name) ?? (defaults ? recordFromDefault(defaults, name) : undefined);
    if (record === undefined) undescribed.push(name);
    else records.push(record);
  }
  return { records, undescribed };
}

/** A host's pinned key file on this machine (its `hostKeyFile` is relative to the project root). */
export function keyFilePath(host: Pick<LabHostSpec, "hostKeyFile">): string {
  return path.resolve(projectRoot(), host.hostKeyFile);
}

/** The pinned keys of these hosts (those whose key file exists), for a rewritten known_hosts. */
export function pinnedKeysOf(hosts: readonly LabHostSpec[]): PinnedHostKey[] {
  return hosts
    .filter((h) => existsSync(keyFilePath(h)))
    .map((h) => ({ name: h.name, address: h.address, key: keyOf(readFileSync(keyFilePath(h), "utf8")) }));
}
