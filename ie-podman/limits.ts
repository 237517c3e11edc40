/**
 * Fair share on a shared GPU node, as data: every container gets a default memory, CPU, pids and /dev/shm
 * limit, and a user may ask for less than the stack's ceiling, never more; and every user holds at most so
 * many containers, pool addresses and GPUs at once. Pure: the caps are judged against the ledger the CLI
 * reads under its lock.
 */
import type { Ledger } from "./leases";
import { PolicyError } from "./policy-error";

/** A resource's default and ceiling, in its unit (bytes, CPUs, processes). */
export interface Limit {
  readonly default: number;
  readonly max: number;
}

/** The stack's containers.limits, in bytes / CPUs / processes. */
export interface ContainerLimits {
  readonly memory: Limit;
  readonly cpus: Limit;
  readonly pids: Limit;
  readonly shm: Limit;
}

/** What one user may hold at once. */
export interface UserCaps {
  readonly maxContainers: number;
  readonly maxAddresses: number;
  readonly maxGpus: number;
}

const UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Podman's size syntax (`512m`, `4g`, `1048576`) in bytes; undefined when it is not one. */
export function parsePodmanSize(text: string): number | undefined {
  const m = /^(\d{1,15})([bkmg]?)$/i.exec(text);
  return m === null ? undefined : Number(m[1]) * UNITS[m[2].toLowerCase()];
}

/** Bytes as the largest whole unit that fits (`16 GiB`, `384 MiB`). */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** One limited `podman run` option: how its value reads, which limit it is, and how podman gets it. */
interface LimitedOption {
  readonly limit: keyof ContainerLimits;
  readonly parse: (text: string) => number | undefined;
  readonly what: string;
  readonly show: (value: number) => string;
}

const count = (text: string): number | undefined => (/^\d{1,9}$/.test(text) ? Number(text) : undefined);
const cpus = (text: string): number | undefined => (/^\d{1,4}(\.\d{1,3})?$/.test(text) ? Number(text) : undefined);

/** The options that set a limited resource, by long name. */
export const LIMITED_OPTIONS: Readonly<Record<string, LimitedOption>> = {
  memory: { limit: "memory", parse: parsePodmanSize, what: "a size such as 4g", show: formatSize },
  cpus: { limit: "cpus", parse: cpus, what: "a number of CPUs such as 1.5", show: String },
  "pids-limit": { limit: "pids", parse: count, what: "a number of processes", show: String },
  "shm-size": { limit: "shm", parse: parsePodmanSize, what: "a size such as 1g", show: formatSize },
};

/** Whether a podman option (as the policy writes it) sets a limited resource. */
export function isLimitOption(option: string): boolean {
  return Object.keys(LIMITED_OPTIONS).some((name) => option.startsWith(`--${name}=`));
}

/** `--NAME=VALUE` for podman, the value in podman's plain unit (bytes, CPUs, processes). */
function podmanOption(name: string, value: number): string {
  return `--${name}=${value}`;
}

/** Checks a user's value of a limited option against the ceiling; the podman option it becomes. */
export function checkLimited(name: string, text: string, option: string, limits: ContainerLimits): string[] {
  const spec = LIMITED_OPTIONS[name];
  const value = spec.parse(text);
  if (value === undefined || value <= 0) throw new PolicyError(option, `'${text}' is not ${spec.what}`);
  const ceiling = limits[spec.limit].max;
  if (value > ceiling) throw new PolicyError(option, `'${text}' is above the ceiling of ${spec.show(ceiling)} (containers.limits.${spec.limit}.max)`);
  return [podmanOption(name, value)];
}

/**
 * The default of every limited resource the user did not ask for, as podman options, and swap held to the
 * memory limit (Podman would allow as much swap again).
 */
export function defaultLimits(options: readonly string[], limits: ContainerLimits): string[] {
  const defaults = Object.entries(LIMITED_OPTIONS)
    .filter(([name]) => !options.some((o) => o.startsWith(`--${name}=`)))
    .map(([name, spec]) => podmanOption(name, limits[spec.limit].default));
  const memory = [...options, ...defaults].filter((o) => o.startsWith("--memory=")).at(-1) ?? podmanOption("memory", limits.memory.default);
  return [...defaults, podmanOption("memory-swap", Number(memory.slice("--memory=".length)))];
}

/** What a run asks of the caps. */
export interface CapRequest {
  readonly ip: boolean;
  readonly gpus: number;
}

/**
 * Refuses a run that would take the caller past a cap, naming the cap, what they hold and how to free it.
 * `source` names where the caps come from (the section's per-user ones or the user's own).
 */
export function checkCaps(ledger: Ledger, uid: number, request: CapRequest, caps: UserCaps, source: "section" | "user"): void {
  const refusal = capsRefusal(ledger, uid, request, caps, source);
  if (refusal !== undefined) throw refusal;
}

/** The refusal `checkCaps` throws, or undefined when the run stays within every cap. */
export function capsRefusal(ledger: Ledger, uid: number, request: CapRequest, caps: UserCaps, source: "section" | "user"): PolicyError | undefined {
  const own = ledger.leases.filter((l) => l.uid === uid);
  const setting = (key: keyof UserCaps, perUser: string) => (source === "user" ? `your containerCaps.${key}` : `containers.${perUser}`);
  const fix = "remove a container you no longer need (ie-podman ps -a, then ie-podman rm)";
  if (own.length + 1 > caps.maxContainers) {
    return new PolicyError("run", `refused: you hold ${own.length} containers and the cap is ${caps.maxContainers} (${setting("maxContainers", "maxContainersPerUser")}): ${fix}`);
  }
  const addresses = own.filter((l) => l.ip !== undefined).length;
  if (request.ip && addresses + 1 > caps.maxAddresses) {
    return new PolicyError("--ip", `refused: you hold ${addresses} addresses and the cap is ${caps.maxAddresses} (${setting("maxAddresses", "maxAddressesPerUser")}): ${fix}`);
  }
  // GPUs of an allocation that ended are Slurm's again: they no longer count.
  const gpus = own.reduce((n, l) => n + (l.ended === undefined ? l.gpus.length : 0), 0);
  if (request.gpus > 0 && gpus + request.gpus > caps.maxGpus) {
    return new PolicyError("--gpu", `refused: you hold ${gpus} GPUs, asked for ${request.gpus} more, and the cap is ${caps.maxGpus} (${setting("maxGpus", "maxGpusPerUser")}): ${fix}`);
  }
  return undefined;
}
