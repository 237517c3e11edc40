/**
 * GPUs from Slurm: the allocation `run --gpu` makes in the caller's name, and its end. The commands run
 * through a SlurmRunner, so verbs are tested with a fake; `runSlurm` is the real one.
 *
 * Whose name each command runs in, and why:
 * - salloc runs as the caller (uid and gid, no supplementary groups): Slurm's own limits, accounting and
 *   fairshare apply to them, and they can get no allocation they could not get with salloc themselves.
 * - What salloc prints comes from a process of the caller's (they could tamper with it), so the job id it
 *   names is believed only once scontrol, run as root, says the job is ie-podman's, the caller's, running on
 *   this node with GPUs of this node's type. Only then may root cancel it; before, cleanup runs as the caller.
 * - squeue of who holds the node's GPUs runs as the caller: it shows what Slurm lets them see, no more.
 */
import { spawnSync } from "node:child_process";
import type { Caller } from "./caller";
import type { HostConfig } from "./config";
import { ExhaustedError } from "./leases";
import {
  SLURM_PROGRAMS,
  type JobAllocation,
  type JobStates,
  type SlurmProgram,
  holdersArgs,
  holdsGpus,
  jobStatesArgs,
  parseGpuHolders,
  parseJobAllocation,
  parseJobStates,
  parseSalloc,
  printable,
  sallocArgs,
  scancelArgs,
  showJobArgs,
} from "./slurm";

export type SlurmConfig = NonNullable<HostConfig["slurm"]>;

/** One Slurm command: which, its arguments, in whose name, and how long it may take. */
export interface SlurmCall {
  readonly program: SlurmProgram;
  readonly args: readonly string[];
  readonly as: "root" | Caller;
  readonly timeoutSeconds: number;
}

export interface SlurmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type SlurmRunner = (call: SlurmCall) => SlurmResult;

/**
 * The whole environment of a Slurm command: nothing of the caller's or of ie-podman's (no SLURM_* or SALLOC_*
 * input variables, no SLURM_CONF), C messages for the parsers.
 */
export const SLURM_ENV: Readonly<Record<string, string>> = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C", LC_ALL: "C" };

/** Runs a Slurm command for real: absolute path, fixed environment, cwd /, no stdin, killed at its timeout. */
export const runSlurm: SlurmRunner = (call) => {
  // Ctrl-C while salloc waits reaches salloc too, which then withdraws the request: ie-podman must live on
  // to read what it said and clean up, not die with a job id unknown.
  const ignore = () => undefined;
  process.on("SIGINT", ignore);
  try {
    const r = spawnSync(SLURM_PROGRAMS[call.program], [...call.args], {
      env: { ...SLURM_ENV },
      cwd: "/",
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: call.timeoutSeconds * 1000,
      killSignal: "SIGKILL",
      maxBuffer: 16 * 1024 * 1024,
      ...(call.as !== "root" ? { uid: call.as.uid, gid: call.as.gid } : {}),
    });
    const failure = r.error !== undefined ? `\n${call.program}: ${r.error.message}` : "";
    return { status: r.status ?? 128 + 9, stdout: String(r.stdout ?? ""), stderr: `${String(r.stderr ?? "")}${failure}` };
  } finally {
    process.off("SIGINT", ignore);
  }
};

/** What a GPU container asks Slurm for besides the node's settings. */
export interface GpuWish {
  readonly gpus: number;
  readonly minutes: number;
  readonly waitSeconds: number;
  readonly cpus: number;
  readonly memoryMiB: number;
}

/** A granted allocation, confirmed by root: the job and the GPU indices it holds on this node. */
export interface Allocation {
  readonly job: string;
  readonly gpus: readonly number[];
}

/**
 * Allocates the GPUs in the caller's name and reads which ones Slurm gave. Throws ExhaustedError when none
 * is free in time (naming the jobs holding GPUs here that the caller may see), an Error otherwise; a job left
 * behind by a failure is cancelled.
 */
export function allocateGpus(runner: SlurmRunner, slurm: SlurmConfig, caller: Caller, wish: GpuWish, totalGpus: number): Allocation {
  const args = sallocArgs({ node: slurm.node, partition: slurm.partition, gresType: slurm.gresType, ...wish });
  const r = runner({ program: "salloc", args, as: caller, timeoutSeconds: wish.waitSeconds + 60 });
  const outcome = parseSalloc(r.status, r.stderr);
  if (outcome.kind !== "granted") {
    if (outcome.job !== undefined) cancelJob(runner, outcome.job, caller);
    if (outcome.kind === "busy") throw new ExhaustedError(noGpuMessage(runner, slurm.node, caller, wish));
    throw new Error(`Slurm gave no allocation: ${outcome.message}`);
  }
  let allocation: JobAllocation;
  try {
    allocation = confirm(runner, slurm, caller, outcome.job, totalGpus);
  } catch (e) {
    cancelJob(runner, outcome.job, caller);
    throw e;
  }
  if (allocation.gpus.length !== wish.gpus) {
    cancelJob(runner, outcome.job, "root");
    throw new Error(`Slurm job ${outcome.job} holds ${allocation.gpus.length} GPUs, ${wish.gpus} were asked for`);
  }
  return { job: outcome.job, gpus: allocation.gpus };
}

/** The job as root sees it: ie-podman's, the caller's, running here, with GPUs this host has. */
function confirm(runner: SlurmRunner, slurm: SlurmConfig, caller: Caller, job: string, totalGpus: number): JobAllocation {
  const r = runner({ program: "scontrol", args: showJobArgs(job), as: "root", timeoutSeconds: 30 });
  if (r.status !== 0) throw new Error(`scontrol could not describe Slurm job ${job}: ${printable(r.stderr.trim())}`);
  const allocation = parseJobAllocation(r.stdout, job, slurm.node, slurm.gresType);
  if (allocation.uid !== caller.uid) throw new Error(`Slurm job ${job} is uid ${allocation.uid}'s, not yours`);
  if (!holdsGpus(allocation.state)) throw new Error(`Slurm job ${job} is ${allocation.state}, not running`);
  const beyond = allocation.gpus.filter((g) => g >= totalGpus);
  if (beyond.length > 0) throw new Error(`Slurm job ${job} holds GPU ${beyond.join(",")}, which this host's configuration does not have (${totalGpus} GPUs)`);
  return allocation;
}

/** "No GPU free" with the jobs holding GPUs on the node, as far as the caller may see them. */
function noGpuMessage(runner: SlurmRunner, node: string, caller: Caller, wish: GpuWish): string {
  const r = runner({ program: "squeue", args: holdersArgs(node), as: caller, timeoutSeconds: 30 });
  const holders = r.status === 0 ? parseGpuHolders(r.stdout) : [];
  const who = holders.length > 0 ? `Slurm jobs holding GPUs here: ${holders.map((h) => `${h.job} (${h.user})`).join(", ")}` : "no job holding them is visible to you";
  const waited = wish.waitSeconds > 1 ? ` within ${wish.waitSeconds} s` : " now";
  const hint = wish.waitSeconds > 1 ? "try again later" : "try again later, or wait for one with --gpu-wait[=DURATION]";
  return `Slurm has no ${wish.gpus === 1 ? "GPU" : `${wish.gpus} GPUs`} free on ${node} for you${waited} (${who}; your own Slurm limits count too): ${hint}`;
}

/**
 * Ends an allocation (scancel). Root only for job ids from the ledger or confirmed by `confirm`; an id read
 * from salloc alone is cancelled as the caller, so Slurm refuses it when it is not theirs. Returns why it
 * failed, or undefined when the job is over (already ended counts).
 */
export function cancelJob(runner: SlurmRunner, job: string, as: "root" | Caller): string | undefined {
  const r = runner({ program: "scancel", args: scancelArgs(job), as, timeoutSeconds: 30 });
  if (r.status === 0 || /already completing or completed|Invalid job id specified/i.test(r.stderr)) return undefined;
  return `scancel of Slurm job ${job} failed (exit ${r.status}): ${printable(r.stderr.trim())}`;
}

/** The state of every ie-podman job Slurm knows (as root). Throws when Slurm does not answer: nothing may be judged then. */
export function jobStates(runner: SlurmRunner): JobStates {
  const r = runner({ program: "squeue", args: jobStatesArgs(), as: "root", timeoutSeconds: 10 });
  if (r.status !== 0) throw new Error(`squeue failed (exit ${r.status}): ${printable(r.stderr.trim())}`);
  return parseJobStates(r.stdout);
}

/** What Slurm should count for the container: its CPUs (rounded up) and memory in MiB, from the limits the policy set. */
export function containerResources(limits: readonly string[]): { readonly cpus: number; readonly memoryMiB: number } {
  const last = (name: string) => limits.filter((o) => o.startsWith(`--${name}=`)).at(-1)?.slice(name.length + 3);
  const cpus = Number(last("cpus"));
  const memory = Number(last("memory"));
  if (!(cpus > 0) || !(memory > 0)) throw new Error("the container's CPUs and memory are not set: ie-podman's policy sets both");
  return { cpus: Math.ceil(cpus), memoryMiB: Math.ceil(memory / 1024 ** 2) };
}
