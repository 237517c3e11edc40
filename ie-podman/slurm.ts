/**
 * Slurm as the owner of a host's GPUs (the host configuration's `slurm` block): the argument lists of the
 * Slurm commands ie-podman runs and the parsers of what they print. Pure: no process is started here
 * (slurm-gpus.ts runs them).
 *
 * Every argument list is built from values ie-podman checked itself (the host configuration, numbers it
 * computed, job ids it read back from Slurm and recorded), never from a user's word. Every parser is strict:
 * output it does not recognise is an error, not a guess, because a wrong GPU index would put a container on
 * a GPU that a Slurm job holds.
 */
import { PolicyError } from "./policy-error";

/** The Slurm commands, by absolute path: the root process never searches PATH for them. */
export const SLURM_PROGRAMS = {
  salloc: "/usr/bin/salloc",
  scontrol: "/usr/bin/scontrol",
  squeue: "/usr/bin/squeue",
  scancel: "/usr/bin/scancel",
} as const;

export type SlurmProgram = keyof typeof SLURM_PROGRAMS;

/** The name of every allocation ie-podman makes (squeue shows it; sync looks its jobs up by it). */
export const JOB_NAME = "ie-podman";

/** How long `--gpu-wait` without a value waits for a GPU, in seconds. */
export const DEFAULT_GPU_WAIT_SECONDS = 600;
/** The longest `--gpu-wait`: the waiting ie-podman holds the user's terminal, nothing else. */
export const MAX_GPU_WAIT_SECONDS = 3600;

/** Slurm job ids as Slurm prints them for a plain (non-array) job. */
const JOB_ID_RE = /^[1-9][0-9]{0,9}$/;
/** Node and partition names as the inventory allows them (schema.ts `name`). */
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const GRES_TYPE_RE = /^[a-z][a-z0-9_]*$/;

/** A job id that is safe to hand to scancel/scontrol; throws otherwise. */
export function checkJobId(text: string): string {
  if (!JOB_ID_RE.test(text)) throw new Error(`'${printable(text)}' is not a Slurm job id`);
  return text;
}

/** What an allocation asks Slurm for: all of it from the host configuration or numbers ie-podman computed. */
export interface AllocationRequest {
  /** This host's Slurm node name. */
  readonly node: string;
  readonly partition: string;
  /** The GRES type of the node's GPUs (`tesla`). */
  readonly gresType: string;
  readonly gpus: number;
  readonly minutes: number;
  /** How long salloc may wait for the GPUs (1: they must be free now). */
  readonly waitSeconds: number;
  /** CPUs and memory (MiB) of the container, so Slurm counts them too (CR_Core_Memory gives a job without --mem the whole node's memory). */
  readonly cpus: number;
  readonly memoryMiB: number;
}

function wholeIn(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${what} ${value} is not a whole number in ${min}..${max}`);
  return value;
}

function nameLike(value: string, re: RegExp, what: string): string {
  if (!re.test(value)) throw new Error(`${what} '${printable(value)}' is not a valid name`);
  return value;
}

/**
 * salloc's arguments: an allocation on this node alone, without a shell (it outlives salloc), named
 * ie-podman, that gives up after `waitSeconds` (`--immediate`).
 */
export function sallocArgs(r: AllocationRequest): string[] {
  return [
    "--no-shell",
    `--immediate=${wholeIn(r.waitSeconds, 1, MAX_GPU_WAIT_SECONDS, "wait")}`,
    `--job-name=${JOB_NAME}`,
    "--nodes=1",
    "--ntasks=1",
    `--nodelist=${nameLike(r.node, NAME_RE, "node")}`,
    `--partition=${nameLike(r.partition, NAME_RE, "partition")}`,
    `--time=${wholeIn(r.minutes, 1, 525_600, "minutes")}`,
    `--gres=gpu:${nameLike(r.gresType, GRES_TYPE_RE, "GPU type")}:${wholeIn(r.gpus, 1, 16, "GPUs")}`,
    `--cpus-per-task=${wholeIn(r.cpus, 1, 4096, "CPUs")}`,
    `--mem=${wholeIn(r.memoryMiB, 1, 1 << 30, "memory (MiB)")}M`,
  ];
}

/** `scontrol show job -d ID`: the job with the details of its allocation per node (the GPU indices). */
export function showJobArgs(job: string): string[] {
  return ["--details", "show", "job", checkJobId(job)];
}

/** `scancel ID`: ends the allocation (run as root, with an id from the ledger only). */
export function scancelArgs(job: string): string[] {
  return ["--", checkJobId(job)];
}

/** squeue of every ie-podman job Slurm still knows, finished ones too: `ID|STATE|REASON` per line. */
export function jobStatesArgs(): string[] {
  return ["--noheader", "--all", "--states=all", `--name=${JOB_NAME}`, "--format=%i|%T|%r"];
}

/**
 * squeue of the running jobs on `node` the caller may see, with their GPUs: `ID|USER|ALLOC|PER-JOB|PER-NODE|PER-TASK|`,
 * each field padded to its width (`-O type:WIDTHsuffix`, wide enough to keep the gres part). tres-alloc names
 * GPUs only where slurm.conf's AccountingStorageTRES tracks gres/gpu; the requests (`--gpus`, `--gres`,
 * `--gpus-per-task`) name them always.
 */
export function holdersArgs(node: string): string[] {
  return [
    "--noheader",
    "--states=RUNNING",
    `--nodelist=${nameLike(node, NAME_RE, "node")}`,
    "--Format=JobID:20|,UserName:40|,tres-alloc:400|,tres-per-job:200|,tres-per-node:200|,tres-per-task:200|",
  ];
}

/** What salloc said on stderr, read. */
export type SallocOutcome =
  | { readonly kind: "granted"; readonly job: string }
  /** No GPU was free in time; `job` when Slurm had queued one (salloc cancels it; ie-podman makes sure). */
  | { readonly kind: "busy"; readonly job?: string }
  | { readonly kind: "failed"; readonly job?: string; readonly message: string };

/** salloc's messages that name a job. */
const JOB_LINE_RES: readonly RegExp[] = [
  /^salloc: Granted job allocation (\S+)$/,
  /^salloc: Pending job allocation (\S+)$/,
  /^salloc: job (\S+) queued and waiting for resources$/,
  /^salloc: job (\S+) has been allocated resources$/,
  /^salloc: Job allocation (\S+) has been revoked\.?$/,
];

/**
 * salloc's error when `--immediate` ran out: salloc.c prints "Unable to allocate resources: %m" for ETIMEDOUT
 * (the wait passed), ESLURM_NOT_TOP_PRIORITY and ESLURM_NODES_BUSY.
 */
const BUSY_RE = /^salloc: error: Unable to allocate resources: (Requested nodes are busy|Connection timed out|Immediate execution impossible, insufficient priority)$/;

/**
 * salloc's stderr and exit status, read: granted (exit 0 and exactly one job, granted), busy, or failed with
 * salloc's error lines. Any job id it names must be a plain job id and the same throughout.
 */
export function parseSalloc(status: number, stderr: string): SallocOutcome {
  const lines = stderr.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  const jobs = new Set<string>();
  let granted = false;
  for (const line of lines) {
    for (const re of JOB_LINE_RES) {
      const m = re.exec(line);
      if (m === null) continue;
      jobs.add(checkJobId(m[1]));
      granted ||= re === JOB_LINE_RES[0];
    }
  }
  if (jobs.size > 1) throw new Error(`salloc named more than one job (${[...jobs].join(", ")})`);
  const job = jobs.size === 1 ? [...jobs][0] : undefined;
  if (status === 0) {
    if (!granted || job === undefined) throw new Error(`salloc exited 0 without granting an allocation: ${printable(lines.join("; ")) || "(no output)"}`);
    return { kind: "granted", job };
  }
  if (lines.some((l) => BUSY_RE.test(l))) return { kind: "busy", ...(job !== undefined ? { job } : {}) };
  const errors = lines.filter((l) => l.startsWith("salloc: error: ")).map((l) => l.slice("salloc: error: ".length));
  const message = printable((errors.length > 0 ? errors : lines).join("; ")) || `salloc exited ${status} without a message`;
  return { kind: "failed", ...(job !== undefined ? { job } : {}), message };
}

/** What `scontrol show job -d` says of an allocation. */
export interface JobAllocation {
  readonly job: string;
  readonly uid: number;
  readonly state: string;
  /** GPU indices on the node, ascending. */
  readonly gpus: readonly number[];
}

/** `0-1`, `0,2-3`, `3`: the indices, ascending, each once. */
export function parseIndexList(text: string): number[] {
  if (!/^\d{1,3}(-\d{1,3})?(,\d{1,3}(-\d{1,3})?)*$/.test(text)) throw new Error(`'${printable(text)}' is not a list of GPU indices`);
  const out: number[] = [];
  for (const part of text.split(",")) {
    const [from, to = from] = part.split("-").map(Number);
    if (to < from) throw new Error(`'${part}' is a backwards range of GPU indices`);
    for (let i = from; i <= to; i++) out.push(i);
  }
  const sorted = [...new Set(out)].sort((a, b) => a - b);
  if (sorted.length !== out.length) throw new Error(`'${printable(text)}' names a GPU twice`);
  return sorted;
}

/** The one line of `text` matching `re`; an error when there is none or more than one (a forged field). */
function oneLine(text: string, re: RegExp, what: string): RegExpExecArray {
  const found = text.split("\n").map((l) => re.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (found.length !== 1) throw new Error(`scontrol's job description has ${found.length} ${what} lines, expected 1`);
  return found[0];
}

/**
 * The allocation of `job` on `node` from `scontrol --details show job ID`: its owner, state and the GPU indices
 * of its `Nodes=NODE ... GRES=gpu:TYPE:N(IDX:LIST)` line. The first line must be exactly `JobId=ID JobName=ie-podman`
 * (a job name is the user's, and may hold anything); every field read must appear once.
 */
export function parseJobAllocation(text: string, job: string, node: string, gresType: string): JobAllocation {
  checkJobId(job);
  const first = text.split("\n")[0]?.trim();
  if (first !== `JobId=${job} JobName=${JOB_NAME}`) throw new Error(`scontrol described '${printable(first ?? "")}', not ie-podman's job ${job}`);
  const user = oneLine(text, /^\s+UserId=\S*\((\d+)\) GroupId=/, "UserId");
  const state = oneLine(text, /^\s+JobState=([A-Z_]+) Reason=/, "JobState");
  const nodes = oneLine(text, /^\s+Nodes=(\S+) CPU_IDs=\S+ Mem=\d+ GRES=(\S*)$/, "Nodes=... GRES");
  if (nodes[1] !== node) throw new Error(`job ${job} is on ${printable(nodes[1])}, not on ${node}`);
  const gres = /^gpu:([a-z][a-z0-9_]*):(\d+)\(IDX:([0-9,-]+)\)$/.exec(nodes[2]);
  if (gres === null) throw new Error(`job ${job} holds GRES '${printable(nodes[2])}', not one kind of GPU with its indices`);
  if (gres[1] !== gresType) throw new Error(`job ${job} holds GPUs of type ${gres[1]}, not ${gresType}`);
  const gpus = parseIndexList(gres[3]);
  if (gpus.length !== Number(gres[2])) throw new Error(`job ${job} holds ${gres[2]} GPUs but lists ${gpus.length} indices (${gres[3]})`);
  return { job, uid: Number(user[1]), state: state[1], gpus };
}

/** Whether a job in this state still holds its GPUs (a suspended job keeps its allocation). */
export function holdsGpus(state: string): boolean {
  return state === "RUNNING" || state === "SUSPENDED";
}

/** What Slurm says of each ie-podman job it still knows: state and reason, by job id. */
export type JobStates = ReadonlyMap<string, { readonly state: string; readonly reason: string }>;

/** squeue's `ID|STATE|REASON` lines (jobStatesArgs). Lines of array jobs or garbage are errors. */
export function parseJobStates(stdout: string): JobStates {
  const out = new Map<string, { state: string; reason: string }>();
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^\s*(\d+)\|([A-Z_]+)\|([^|]*)$/.exec(line);
    if (m === null) throw new Error(`squeue printed '${printable(line)}', not ID|STATE|REASON`);
    out.set(checkJobId(m[1]), { state: m[2], reason: m[3].trim() });
  }
  return out;
}

/** Why an allocation ended, in the user's words, from the state Slurm gives it (or none: purged). */
export function endedReason(state: string | undefined): string {
  const reasons: Readonly<Record<string, string>> = {
    TIMEOUT: "its time limit was reached",
    CANCELLED: "it was cancelled in Slurm (scancel)",
    PREEMPTED: "it was preempted",
    NODE_FAIL: "the node failed",
    BOOT_FAIL: "the node failed to boot",
    DEADLINE: "its deadline passed",
    OUT_OF_MEMORY: "it ran out of memory",
    FAILED: "it failed",
    COMPLETED: "it completed",
    COMPLETING: "it is ending",
    PENDING: "Slurm requeued it",
    REQUEUED: "Slurm requeued it",
  };
  if (state === undefined) return "Slurm no longer knows the job";
  return Object.hasOwn(reasons, state) ? reasons[state] : `Slurm says ${state}`;
}

/** Job ids of squeue's `ID|USER|TRES...|` lines (holdersArgs) that hold or asked for a GPU; unreadable lines are skipped. */
export function parseGpuHolders(stdout: string): { readonly job: string; readonly user: string }[] {
  return stdout.split("\n").flatMap((line) => {
    const [id, user, ...tres] = line.split("|").map((field) => field.trim());
    if (id === undefined || user === undefined || !/^\d{1,10}$/.test(id) || !/^[a-z_][a-z0-9_.-]{0,31}$/.test(user)) return [];
    return tres.some((field) => /(^|,)gres[/:]gpu([=:,]|$)/.test(field)) ? [{ job: id, user }] : [];
  });
}

/**
 * A user's `--time`, in whole minutes (seconds round up), in Slurm's own formats so that the same words mean
 * the same in sbatch: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`. At most `maxMinutes`.
 */
export function parseTime(text: string, maxMinutes: number, option = "--time"): number {
  const m = /^(?:(\d{1,3})-(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?|(\d{1,6})(?::(\d{1,2})(?::(\d{1,2}))?)?)$/.exec(text);
  if (m === null) throw new PolicyError(option, `'${printable(text)}' is not a time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, as Slurm reads it)`);
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  let seconds: number;
  if (m[1] !== undefined) seconds = ((n(m[1]) * 24 + n(m[2])) * 60 + n(m[3])) * 60 + n(m[4]);
  else if (m[7] !== undefined) seconds = (n(m[5]) * 60 + n(m[6])) * 60 + n(m[7]);
  else seconds = n(m[5]) * 60 + n(m[6]);
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 1) throw new PolicyError(option, `'${printable(text)}' is no time at all`);
  if (minutes > maxMinutes) throw new PolicyError(option, `'${printable(text)}' is ${minutes} minutes, above this host's limit of ${maxMinutes} minutes for GPU containers`);
  return minutes;
}

/** A user's `--gpu-wait` value in seconds: a number of seconds or `Ns`, `Nm`, `Nh`; at most MAX_GPU_WAIT_SECONDS. */
export function parseGpuWait(text: string | undefined, option = "--gpu-wait"): number {
  if (text === undefined) return DEFAULT_GPU_WAIT_SECONDS;
  const m = /^(\d{1,5})([smh]?)$/.exec(text);
  if (m === null) throw new PolicyError(option, `'${printable(text)}' is not a duration (seconds, or e.g. 90s, 10m, 1h)`);
  const seconds = Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600 }[m[2] as "" | "s" | "m" | "h"];
  if (seconds < 1 || seconds > MAX_GPU_WAIT_SECONDS) throw new PolicyError(option, `'${printable(text)}' is not between 1 second and ${MAX_GPU_WAIT_SECONDS / 60} minutes`);
  return seconds;
}

/** Text from a command or a user, safe to put in a message (no control characters, bounded). */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > 300 ? `${clean.slice(0, 300)}...` : clean;
}
