/**
 * What a change to a Slurm configuration file needs on the running cluster: nothing, `scontrol
 * reconfigure` (daemons re-read their files, running jobs untouched), or a restart of daemons.
 *
 * The rules follow the slurm.conf(5), gres.conf(5) and cgroup.conf(5) man pages: "Changes to the
 * configuration file take effect upon restart of Slurm daemons, daemon receipt of the SIGHUP signal, or
 * execution of the command 'scontrol reconfigure' unless otherwise noted" - and the noted exceptions are
 * the restart keys below. Where the pages are silent about a plugin we restart: a plugin is loaded when
 * the daemon starts. Restarting too often costs a few seconds; restarting too rarely leaves a cluster
 * running an old setting while its file says otherwise.
 *
 * Pure: the SlurmCluster component runs the restart command when `restartFingerprint` of the new file
 * differs from the old one, and `scontrol reconfigure` when only the rest of the file changed.
 */

export type ConfFile = "slurm.conf" | "gres.conf" | "cgroup.conf";
export type RestartAction = "none" | "reconfigure" | "restart";
export type SlurmDaemon = "slurmctld" | "slurmd";

export interface RestartDecision {
  readonly action: RestartAction;
  /**
   * The keys that decided the action, sorted: setting names (`SelectType`), or `NodeName=<node>` /
   * `PartitionName=<partition>` for a node or partition line. With "reconfigure", every changed key.
   */
  readonly keys: readonly string[];
  /** Daemons to restart: empty unless the action is "restart". Restart slurmctld before the slurmds. */
  readonly daemons: readonly SlurmDaemon[];
  /** Compute nodes whose slurmd must restart: "all" or the named nodes; empty when no slurmd restarts. */
  readonly nodes: "all" | readonly string[];
}

/** One setting or one record line (a node, a partition) of a Slurm configuration file. */
export interface ConfEntry {
  /** As written in the file: `SelectType`, `NodeName=gpu1`. */
  readonly key: string;
  /** The value of a setting; for a record line, its other fields in a canonical order. */
  readonly value: string;
}

/** Lines whose first key names a record: the line is one entry keyed by that name. */
const RECORD_KEYS: ReadonlySet<string> = new Set([
  "nodename",
  "partitionname",
  "nodeset",
  "downnodes",
  "frontendname",
]);

/**
 * slurm.conf settings that need a restart of the daemons, with the man page's reason.
 * Plugin selections (every key ending in Type(s) or Plugin(s)) are matched by PLUGIN_KEY below.
 */
const RESTART_KEYS: ReadonlyMap<string, string> = new Map([
  ["slurmctldhost", "where slurmctld runs: relocating a controller means stopping and restarting the daemons"],
  ["controlmachine", "old name of SlurmctldHost"],
  ["controladdr", "old name of SlurmctldHost's address"],
  ["backupcontroller", "old name of a second SlurmctldHost"],
  ["backupaddr", "old name of a second SlurmctldHost's address"],
  ["slurmctldport", "a restart of slurmctld is required (the daemon binds the port at start)"],
  ["slurmdport", "a restart of slurmctld (and slurmd, which listens on it) is required"],
  ["selecttypeparameters", "a restart of slurmctld is required"],
  ["grestypes", "a restart of slurmctld and the slurmd daemons is required"],
  ["statesavelocation", "a restart of slurmctld is required"],
  ["slurmctldparameters", "a restart of slurmctld is required for some of its options (enable_configless)"],
  ["accountingstorageenforce", "a restart of slurmctld is required"],
  ["maxjobcount", "a restart of slurmctld is required"],
  ["maxnodecount", "the slurmctld daemon must be restarted"],
  ["plugindir", "a restart of slurmctld and the slurmd daemons is required"],
  ["clustername", "slurmctld compares it with its saved state at start"],
  ["slurmuser", "the user slurmctld switches to at start"],
  ["slurmduser", "the user slurmd runs as, set at start"],
  ["slurmdspooldir", "slurmd opens its spool directory at start"],
  ["slurmctldpidfile", "written once at start; systemd watches it"],
  ["slurmdpidfile", "written once at start; systemd watches it"],
  ["include", "another file's content: its changes cannot be judged from here"],
]);

/**
 * AuthType ("all Slurm daemons and commands must be terminated ... and later restarted"), CredType,
 * SelectType ("a restart of slurmctld and slurmd is required"), ProctrackType, SwitchType, SchedulerType,
 * JobContainerType, CoreSpecPlugin, PowerPlugin ("a restart ... is required"), TaskPlugin and every other
 * plugin selection: plugins are loaded when a daemon starts.
 */
const PLUGIN_KEY = /(types?|plugins?)$/;

/**
 * Record lines: "Changes in node configuration (e.g. adding nodes, changing their processor count, etc.)
 * require restarting both the slurmctld daemon and the slurmd daemons." Slurm >= 23.11 can add dynamic
 * nodes by reconfigure, but our nodes are static: restart. Partitions take effect with reconfigure.
 */
const RESTART_RECORDS: ReadonlySet<string> = new Set(["nodename", "frontendname"]);

/** Whether a change of this slurm.conf entry (`SelectType`, `NodeName=gpu1`) needs a restart. */
export function isRestartKey(key: string): boolean {
  const lower = key.toLowerCase();
  const eq = lower.indexOf("=");
  if (eq >= 0) return RESTART_RECORDS.has(lower.slice(0, eq));
  return RESTART_KEYS.has(lower) || PLUGIN_KEY.test(lower);
}

const PAIR = /([^\s=]+)=("[^"]*"|\S*)/g;

interface Pair {
  readonly key: string;
  readonly value: string;
}

/** The key=value pairs of each line, without comments, blank lines and backslash continuations. */
function pairLines(text: string): Pair[][] {
  const result: Pair[][] = [];
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const pairs = [...line.matchAll(PAIR)].map((m) => ({ key: m[1], value: m[2] }));
    if (pairs.length > 0) {
      result.push(pairs);
    } else {
      // A line without '=', such as "Include /etc/slurm/site.conf": first word is the key.
      const [word, ...rest] = line.split(/\s+/);
      result.push([{ key: word, value: rest.join(" ") }]);
    }
  }
  return result;
}

/** The fields of a record line in a canonical order: lower-case keys, sorted. */
function canonicalFields(pairs: readonly Pair[]): string {
  return pairs
    .map((p) => `${p.key.toLowerCase()}=${p.value}`)
    .sort()
    .join(" ");
}

/**
 * The entries of a slurm.conf or cgroup.conf text, by canonical key (key names are case-insensitive in
 * Slurm, node and partition names are not). Comments, blank lines, the order of lines and the order of
 * fields within a record line do not count; a setting given twice keeps its last value, as in Slurm.
 */
export function parseSlurmConfig(text: string): ReadonlyMap<string, ConfEntry> {
  const entries = new Map<string, ConfEntry>();
  for (const pairs of pairLines(text)) {
    const [first, ...rest] = pairs;
    if (RECORD_KEYS.has(first.key.toLowerCase())) {
      const key = `${first.key}=${first.value}`;
      entries.set(`${first.key.toLowerCase()}=${first.value}`, { key, value: canonicalFields(rest) });
    } else {
      for (const p of pairs) entries.set(p.key.toLowerCase(), { key: p.key, value: p.value });
    }
  }
  return entries;
}

/** Key of gres.conf lines that name no node: they apply to every node. */
const EVERY_NODE = "(every node)";

/**
 * The entries of a gres.conf text, one per node: `NodeName=<node>` with all of that node's lines
 * (a node may have several, one per GPU type), or EVERY_NODE for lines without NodeName.
 */
export function parseGresConfig(text: string): ReadonlyMap<string, ConfEntry> {
  const byNode = new Map<string, string[]>();
  for (const pairs of pairLines(text)) {
    const node = pairs.find((p) => p.key.toLowerCase() === "nodename");
    const key = node === undefined ? EVERY_NODE : `NodeName=${node.value}`;
    const fields = canonicalFields(pairs.filter((p) => p !== node));
    byNode.set(key, [...(byNode.get(key) ?? []), fields]);
  }
  const entries = new Map<string, ConfEntry>();
  for (const [key, lines] of byNode) entries.set(key, { key, value: lines.sort().join("\n") });
  return entries;
}

/** Display keys of the entries that differ between two parsed files, sorted. */
function changedKeys(before: ReadonlyMap<string, ConfEntry>, after: ReadonlyMap<string, ConfEntry>): string[] {
  const changed: string[] = [];
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(id);
    const b = after.get(id);
    if (a === undefined || b === undefined || a.value !== b.value) changed.push((b ?? a)?.key ?? id);
  }
  return changed.sort();
}

const NONE: RestartDecision = { action: "none", keys: [], daemons: [], nodes: [] };

/** slurm.conf: restart every daemon when a restart key changed, otherwise reconfigure when anything did. */
export function classifySlurmConfChange(before: string, after: string): RestartDecision {
  const changed = changedKeys(parseSlurmConfig(before), parseSlurmConfig(after));
  if (changed.length === 0) return NONE;
  const restart = changed.filter(isRestartKey);
  if (restart.length > 0) return { action: "restart", keys: restart, daemons: ["slurmctld", "slurmd"], nodes: "all" };
  return { action: "reconfigure", keys: changed, daemons: [], nodes: [] };
}

/**
 * cgroup.conf: every change restarts slurmd everywhere. The cgroup plugin reads the file when slurmd starts
 * (CgroupPlugin selects the plugin itself); reconfigure does not re-apply confinement settings.
 */
export function classifyCgroupConfChange(before: string, after: string): RestartDecision {
  const changed = changedKeys(parseSlurmConfig(before), parseSlurmConfig(after));
  if (changed.length === 0) return NONE;
  return { action: "restart", keys: changed, daemons: ["slurmd"], nodes: "all" };
}

/** The node a gres.conf entry is for; undefined for lines that apply to every node. */
function gresNode(key: string): string | undefined {
  return key === EVERY_NODE ? undefined : key.slice("NodeName=".length);
}

/**
 * gres.conf: "A restart of the slurmctld and slurmd daemons is required for changes to the Type option";
 * File, Count and Cores are read by slurmd when it starts and registers its GPUs with slurmctld. So any
 * change restarts slurmctld and slurmd on the nodes whose lines changed (every node when a line without
 * NodeName, or with a host list such as gpu[1-4], changed).
 */
export function classifyGresConfChange(before: string, after: string): RestartDecision {
  const changed = changedKeys(parseGresConfig(before), parseGresConfig(after));
  if (changed.length === 0) return NONE;
  const nodes = changed.map(gresNode);
  const everyNode = nodes.some((n) => n === undefined || /[[,]/.test(n));
  const named = nodes.filter((n): n is string => n !== undefined);
  return {
    action: "restart",
    keys: changed,
    daemons: ["slurmctld", "slurmd"],
    nodes: everyNode ? "all" : [...new Set(named)].sort(),
  };
}

/** Classifies a change of any of the three files. */
export function classifyConfChange(file: ConfFile, before: string, after: string): RestartDecision {
  switch (file) {
    case "slurm.conf":
      return classifySlurmConfChange(before, after);
    case "gres.conf":
      return classifyGresConfChange(before, after);
    case "cgroup.conf":
      return classifyCgroupConfChange(before, after);
    default: {
      const unknown: never = file;
      throw new Error(`no restart rules for ${String(unknown)}`);
    }
  }
}

/**
 * The restart-relevant projection of a slurm.conf text: its restart keys only, canonical (one `key=value`
 * per line, lower-case keys, sorted; record lines with their fields sorted). Two files with the same
 * fingerprint differ at most in settings that `scontrol reconfigure` applies.
 */
export function restartFingerprint(conf: string): string {
  const lines: string[] = [];
  for (const [id, entry] of parseSlurmConfig(conf)) {
    if (!isRestartKey(entry.key)) continue;
    lines.push(id.includes("=") ? `${id} ${entry.value}`.trimEnd() : `${id}=${entry.value}`);
  }
  return lines.sort().map((l) => `${l}\n`).join("");
}
