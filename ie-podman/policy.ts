/**
 * ie-podman's policy for `run`, as data: which `podman run` options a student may pass, which are refused
 * and why, and the argument list ie-podman builds itself. Pure: the caller supplies who is asking (uid and
 * gid from sudo, home directory) and how to resolve a path (`realpath`, so a symlink in the home cannot lead
 * out of it). Podman has no authorization hook; this is the boundary between a user and root on the host.
 *
 * Everything not on the allow-list is refused by name. The options ie-podman sets itself (user, network,
 * capabilities, the owner label, devices) cannot be given by the user at all.
 */

import type { Caller } from "./caller";
import { type ContainerLimits, checkLimited, defaultLimits, isLimitOption } from "./limits";
import { PolicyError } from "./policy-error";
import { type SlurmWords, slurmOptions } from "./policy-slurm";

export type { Caller };
export { PolicyError };

export interface PolicyContext {
  readonly caller: Caller;
  /** Resolves symlinks (fs.realpathSync); throws for a path that does not exist. */
  readonly realpath: (path: string) => string;
  /** The stack's default and ceiling of each container's memory, CPUs, pids and /dev/shm. */
  readonly limits: ContainerLimits;
  /** On a host whose GPUs Slurm owns: the longest allocation, in minutes (`--time`). Absent elsewhere. */
  readonly slurm?: { readonly maxTimeMinutes: number };
}

/** The label that marks a container's owner (the caller's uid). Only ie-podman sets it. */
export const OWNER_LABEL = "ie-podman.owner";

type Check = (value: string, ctx: PolicyContext, option: string) => string[];

interface AllowedOption {
  /** Long name without dashes; `short` is the one-letter alias. */
  readonly short?: string;
  /** Takes a value (`--env X`, `--env=X`). */
  readonly value: boolean;
  /** Validates the value and returns the podman arguments it becomes. Defaults to passing it on. */
  readonly check?: Check;
}

/** Options refused with a reason that says why (everything else not allowed is refused as unknown). */
export const REFUSED: Readonly<Record<string, string>> = {
  privileged: "gives the container every capability and every host device",
  "cap-add": "adds capabilities; containers run with none",
  device: "host devices are not available; ask for a GPU with --gpu",
  "security-opt": "would change the confinement ie-podman sets",
  sysctl: "changes kernel settings",
  "group-add": "adds groups the caller does not have",
  user: "containers run as the caller",
  pod: "pods are not available",
  "volumes-from": "would share other containers' volumes",
  "env-host": "would copy ie-podman's own (root) environment into the container",
  "env-file": "is read by root: put the variables on the command line with --env",
  uidmap: "user namespace maps are set by ie-podman",
  gidmap: "user namespace maps are set by ie-podman",
  subuidname: "user namespace maps are set by ie-podman",
  subgidname: "user namespace maps are set by ie-podman",
  userns: "host namespaces are not available",
  pid: "host namespaces are not available",
  ipc: "host namespaces are not available",
  uts: "host namespaces are not available",
  cgroupns: "host namespaces are not available",
  network: "the container gets ie-podman's network; ask for an address with --ip",
  net: "the container gets ie-podman's network; ask for an address with --ip",
  "cgroup-parent": "would move the container out of its cgroup",
  cgroups: "would change how the container is confined",
  "cap-drop": "ie-podman already drops every capability",
  label: `labels are set by ie-podman (${OWNER_LABEL} marks the owner)`,
  "oom-score-adj": "would make the host kill other processes first",
  "memory-swap": "swap beyond the memory limit is not available; ask for --memory up to the ceiling",
  "memory-reservation": "memory is limited with --memory",
  "cpu-shares": "CPUs are limited with --cpus",
  "cpu-quota": "CPUs are limited with --cpus",
  "cpu-period": "CPUs are limited with --cpus",
  "cpuset-cpus": "CPUs are limited with --cpus",
  ulimit: "would raise the limits ie-podman sets",
  rootfs: "runs a host directory as the container's root",
  restart: "restart policies outlive the session; start the container again with ie-podman start",
};

const envCheck: Check = (value, _ctx, option) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s.test(value)) throw new PolicyError(option, `'${value}' is not NAME=VALUE`);
  if (/^(NVIDIA_VISIBLE_DEVICES|CUDA_VISIBLE_DEVICES)(=|$)/.test(value)) throw new PolicyError(option, "the GPU variables are set by ie-podman from the GPU it assigns");
  return [`--env=${value}`];
};

/** A host path the user may hand to root (bind, build context): inside their home once every symlink is resolved. */
export function ownPath(source: string, ctx: PolicyContext, option: string): string {
  if (!source.startsWith("/")) throw new PolicyError(option, `'${source}' is not an absolute host path (named volumes are not available)`);
  let real: string;
  let home: string;
  try {
    real = ctx.realpath(source);
    home = ctx.realpath(ctx.caller.home);
  } catch {
    throw new PolicyError(option, `'${source}' does not exist`);
  }
  if (real !== home && !real.startsWith(`${home}/`)) {
    throw new PolicyError(option, `'${source}'${real !== source ? ` (which is ${real})` : ""} is outside your home ${ctx.caller.home}`);
  }
  return real;
}

const containerPath = (path: string, option: string): string => {
  if (!path.startsWith("/") || path.includes(",") || path.includes(":")) throw new PolicyError(option, `'${path}' is not an absolute container path`);
  return path;
};

const volumeCheck: Check = (value, ctx, option) => {
  const parts = value.split(":");
  if (parts.length < 2 || parts.length > 3) throw new PolicyError(option, `'${value}' is not HOST_PATH:CONTAINER_PATH[:ro]`);
  const [source, target, mode] = parts;
  if (mode !== undefined && mode !== "ro" && mode !== "rw") throw new PolicyError(option, `mount option '${mode}' is not available (ro or rw)`);
  const real = ownPath(source, ctx, option);
  return [`--volume=${real}:${containerPath(target, option)}${mode === "ro" ? ":ro" : ""}`];
};

const mountCheck: Check = (value, ctx, option) => {
  const fields = new Map<string, string>();
  for (const part of value.split(",")) {
    const [k, ...v] = part.split("=");
    fields.set(k, v.join("="));
  }
  const type = fields.get("type");
  const target = fields.get("target") ?? fields.get("dst") ?? fields.get("destination");
  if (target === undefined) throw new PolicyError(option, "needs target=");
  const allowed = new Set(["type", "target", "dst", "destination", "source", "src", "ro", "readonly"]);
  for (const k of fields.keys()) if (!allowed.has(k)) throw new PolicyError(option, `mount field '${k}' is not available`);
  if (type === "tmpfs") {
    if (fields.has("source") || fields.has("src")) throw new PolicyError(option, "a tmpfs has no source");
    return [`--mount=type=tmpfs,destination=${containerPath(target, option)}`];
  }
  if (type !== "bind") throw new PolicyError(option, `mount type '${type ?? "(none)"}' is not available (bind or tmpfs)`);
  const source = fields.get("source") ?? fields.get("src");
  if (source === undefined) throw new PolicyError(option, "a bind mount needs source=");
  const ro = fields.has("ro") || fields.has("readonly");
  return [`--mount=type=bind,source=${ownPath(source, ctx, option)},destination=${containerPath(target, option)}${ro ? ",ro" : ""}`];
};

const publishCheck: Check = (value, _ctx, option) => {
  const m = /^(?:(127\.0\.0\.1):)?(\d{1,5}):(\d{1,5})(\/(tcp|udp))?$/.exec(value);
  if (m === null) throw new PolicyError(option, `'${value}' is not [127.0.0.1:]HOST_PORT:CONTAINER_PORT`);
  const hostPort = Number(m[2]);
  if (hostPort < 1024 || hostPort > 65535) throw new PolicyError(option, `host port ${hostPort} is not available (1024-65535)`);
  return [`--publish=${value}`];
};

/** A limited resource (memory, CPUs, pids, /dev/shm): at most the stack's ceiling. */
const limited = (name: string): Check => (value, ctx, option) => checkLimited(name, value, option, ctx.limits);

/** A value that must match `re`, passed on as `--<name>=VALUE`. */
const pattern = (name: string, re: RegExp, what: string): Check => (value, _ctx, option) => {
  if (!re.test(value)) throw new PolicyError(option, `'${value}' is not ${what}`);
  return [`--${name}=${value}`];
};

/** The allow-list: every option a user may give to `ie-podman run`, with the check of its value. */
export const ALLOWED: Readonly<Record<string, AllowedOption>> = {
  env: { short: "e", value: true, check: envCheck },
  volume: { short: "v", value: true, check: volumeCheck },
  mount: { value: true, check: mountCheck },
  publish: { short: "p", value: true, check: publishCheck },
  workdir: { short: "w", value: true, check: (v, _c, o) => [`--workdir=${containerPath(v, o)}`] },
  name: { value: true, check: pattern("name", /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "a container name") },
  hostname: { value: true, check: pattern("hostname", /^[a-z0-9][a-z0-9-]{0,62}$/, "a host name") },
  entrypoint: { value: true },
  memory: { short: "m", value: true, check: limited("memory") },
  cpus: { value: true, check: limited("cpus") },
  "pids-limit": { value: true, check: limited("pids-limit") },
  "shm-size": { value: true, check: limited("shm-size") },
  detach: { short: "d", value: false },
  interactive: { short: "i", value: false },
  tty: { short: "t", value: false },
  rm: { value: false },
  "read-only": { value: false },
};


/** What the user asked `ie-podman run` for, checked: podman options, image and command. */
export interface RunRequest {
  /** `--ip`: an address from the pool. */
  readonly ip: boolean;
  /** `--gpu[=N]`: how many GPUs (0 without --gpu). */
  readonly gpus: number;
  /** `--time` (Slurm mode): the allocation's time limit in minutes; absent: the host's longest. */
  readonly minutes?: number;
  /** `--gpu-wait[=DURATION]` (Slurm mode): how long to wait for free GPUs, in seconds; absent: they must be free now. */
  readonly gpuWaitSeconds?: number;
  /** `-d`: print the id and return; otherwise ie-podman waits attached, as `podman run` does. */
  readonly detach: boolean;
  /** `-i`: keep stdin open (attach it on start). */
  readonly interactive: boolean;
  /** The user's options, checked and rewritten (paths resolved); `--detach` and the limits are not among them. */
  readonly options: readonly string[];
  /** Memory, CPUs, pids and /dev/shm: what the user asked for (within the ceilings), else the defaults. */
  readonly limits: readonly string[];
  readonly image: string;
  readonly command: readonly string[];
}

/** Options and what follows them: the first word that is not an option, and everything after it. */
interface Parsed {
  readonly options: string[];
  readonly rest: string[];
}

/**
 * Reads options off the front of `argv` against an allow-list, stopping at the first word that is not an
 * option (or after `--`). `special` sees every long option first and returns true when it took it.
 * Throws a PolicyError naming the option.
 */
function parseOptions(
  argv: readonly string[],
  allowed: Readonly<Record<string, AllowedOption>>,
  ctx: PolicyContext,
  special: (name: string, inline: string | undefined, written: string, value: () => string) => boolean = () => false,
): Parsed {
  const short = new Map(Object.entries(allowed).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const options: string[] = [];
  let i = 0;
  const valueOf = (option: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const next = argv[i + 1];
    if (next === undefined) throw new PolicyError(option, "needs a value");
    i++;
    return next;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    if (arg.startsWith("--")) {
      const [name, inline] = splitInline(arg.slice(2));
      if (special(name, inline, arg, () => valueOf(arg.split("=")[0], inline))) continue;
      options.push(...checked(allowed, name, arg, inline, ctx, valueOf));
      continue;
    }
    // Short options, possibly bundled (-it, -e X, -eX).
    const letters = arg.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const name = short.get(letters[j]);
      if (name === undefined) throw new PolicyError(`-${letters[j]}`, "is not on ie-podman's allow-list of options");
      if (allowed[name].value) {
        const rest = letters.slice(j + 1);
        options.push(...checked(allowed, name, `-${letters[j]}`, rest === "" ? undefined : rest.replace(/^=/, ""), ctx, valueOf));
        break;
      }
      options.push(`--${name}`);
    }
  }
  return { options, rest: argv.slice(i) };
}

/**
 * An image the user names: a plain reference (`name`, `name:tag`, `registry/path/name:tag@sha256:...`) or
 * an image id. Transports (`docker-archive:/path`, `oci:/dir`, `containers-storage:[...]`) are refused:
 * root would read the path they name.
 */
export function checkImageRef(ref: string, option = "IMAGE"): string {
  const name = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
  if (ref.length > 255 || !name.test(ref)) {
    throw new PolicyError(option, `'${ref}' is not an image name (name[:tag], registry/name[:tag] or an image id; no transports)`);
  }
  return ref;
}

/**
 * Parses and checks `ie-podman run` arguments. Options stop at the first word that is not an option (the
 * image); everything after it is the container's command. Throws a PolicyError naming the option.
 */
export function parseRun(argv: readonly string[], ctx: PolicyContext): RunRequest {
  let ip = false;
  let gpus = 0;
  let time: SlurmWords["time"];
  let wait: SlurmWords["wait"];
  const { options, rest } = parseOptions(argv, ALLOWED, ctx, (name, inline, arg, value) => {
    // Slurm's own options, read by ie-podman (slurm.ts) and never handed to Slurm as the user wrote them.
    if (name === "time") {
      time = { text: value(), option: "--time" };
      return true;
    }
    if (name === "gpu-wait") {
      wait = { text: inline, option: "--gpu-wait" };
      return true;
    }
    if (name === "ip") {
      if (inline !== undefined) throw new PolicyError(arg, "takes no value: the address comes from the pool");
      ip = true;
      return true;
    }
    if (name === "gpu" || name === "gpus") {
      gpus = inline === undefined ? 1 : Number(inline);
      if (!Number.isInteger(gpus) || gpus < 1 || gpus > 16) throw new PolicyError(arg, `'${inline}' is not a number of GPUs`);
      return true;
    }
    return false;
  });
  const [image, ...command] = rest;
  if (image === undefined) throw new PolicyError("IMAGE", "missing: ie-podman run [OPTIONS] IMAGE [COMMAND...]");
  const slurm = slurmOptions(ctx, gpus, { time, wait });
  return {
    ip,
    gpus,
    ...slurm,
    detach: options.includes("--detach"),
    interactive: options.includes("--interactive"),
    options: options.filter((o) => o !== "--detach" && !isLimitOption(o)),
    limits: [...options.filter(isLimitOption), ...defaultLimits(options, ctx.limits)],
    image: checkImageRef(image),
    command,
  };
}

/** What `ie-podman exec` may pass to `podman exec`: no user, no privileges, the container's own confinement. */
export const EXEC_ALLOWED: Readonly<Record<string, AllowedOption>> = {
  env: ALLOWED.env,
  workdir: ALLOWED.workdir,
  interactive: ALLOWED.interactive,
  tty: ALLOWED.tty,
  detach: ALLOWED.detach,
};

/** `ie-podman exec [OPTIONS] CONTAINER COMMAND...`, checked. */
export function parseExec(argv: readonly string[], ctx: PolicyContext): { options: string[]; container: string; command: string[] } {
  const { options, rest } = parseOptions(argv, EXEC_ALLOWED, ctx);
  const [container, ...command] = rest;
  if (container === undefined || command.length === 0) throw new PolicyError("CONTAINER", "missing: ie-podman exec [OPTIONS] CONTAINER COMMAND...");
  return { options, container, command };
}

function splitInline(text: string): [string, string | undefined] {
  const eq = text.indexOf("=");
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

function checked(
  allowList: Readonly<Record<string, AllowedOption>>,
  name: string,
  written: string,
  inline: string | undefined,
  ctx: PolicyContext,
  valueOf: (option: string, inline: string | undefined) => string,
): string[] {
  const option = written.split("=")[0];
  const allowed = allowList[name];
  if (allowed === undefined) {
    const reason = REFUSED[name];
    throw new PolicyError(option, reason !== undefined ? `refused: ${reason}` : "is not on ie-podman's allow-list of options");
  }
  if (!allowed.value) {
    if (inline !== undefined) throw new PolicyError(option, "takes no value");
    return [`--${name}`];
  }
  const value = valueOf(option, inline);
  return allowed.check ? allowed.check(value, ctx, option) : [`--${name}=${value}`];
}

/** What ie-podman assigned the container: its network (and address in it) and GPU indexes. */
export interface Assignment {
  /** The pool's network with `ip`, Podman's default NAT network without. */
  readonly network: string;
  readonly ip?: string;
  readonly gpus: readonly number[];
  /** GPU device node prefix (`/dev/nvidia`). */
  readonly devicePrefix: string;
  /** Driver nodes a GPU container needs besides its GPU (those present on the host). */
  readonly sharedGpuDevices: readonly string[];
}

/**
 * The whole `podman create` argument list: ie-podman's confinement first (owner label, the caller's uid and
 * gid, no capabilities, no new privileges, its network, the assigned GPUs, the resource limits), then the user's checked options,
 * the image and the command. The user's options cannot undo the first part: each of those is refused above.
 * (`create`, then `start`: the ledger's lock is held only while the container is made.)
 */
export function podmanCreateArgs(request: RunRequest, caller: Caller, assignment: Assignment): string[] {
  const gpus = assignment.gpus;
  const gpuDevices = gpus.length > 0 ? [...gpus.map((g) => `${assignment.devicePrefix}${g}`), ...assignment.sharedGpuDevices].map((d) => `--device=${d}`) : [];
  // Inside the container the assigned GPUs are the only ones: CUDA numbers them from 0.
  const gpuEnv = gpus.length > 0 ? [`--env=CUDA_VISIBLE_DEVICES=${gpus.map((_, i) => i).join(",")}`, `--env=NVIDIA_VISIBLE_DEVICES=${gpus.join(",")}`] : [];
  return [
    "create",
    `--label=${OWNER_LABEL}=${caller.uid}`,
    `--user=${caller.uid}:${caller.gid}`,
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    `--network=${assignment.network}`,
    ...(assignment.ip !== undefined ? [`--ip=${assignment.ip}`] : []),
    ...gpuDevices,
    ...gpuEnv,
    ...request.limits,
    ...request.options,
    "--",
    request.image,
    ...request.command,
  ];
}
