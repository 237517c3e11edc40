/**
 * The lab hosts as processes: each is a `systemd-nspawn -b` started in its own session and its own
 * cgroups, known by the PID recorded in `.lab/run/<host>.pid`. A PID counts as the host only while it is
 * still systemd-nspawn for that machine (PIDs get reused).
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as path from "node:path";
import { createHostCgroups, killLabProcesses } from "./cgroups";
import { pauseSync } from "./exec";
import { hostLogPath, hostRootfsPath, hostsDir, labScriptPath, pidFilePath } from "./paths";

/**
 * Capabilities granted beyond nspawn's default set. None is needed so far (Ceph with file-backed OSDs,
 * podman, apptainer, libvirt with TCG all work without); add here, in one place, if a role needs one.
 */
export const EXTRA_CAPABILITIES: readonly string[] = [];

/** System calls allowed beyond nspawn's filter: crun (podman) needs keyctl. */
export const EXTRA_SYSTEM_CALLS: readonly string[] = ["@keyring"];

export interface NspawnInput {
  readonly machine: string;
  readonly rootfs: string;
  readonly bridge: string;
}

/** systemd-nspawn's arguments for a lab host. */
export function nspawnArguments(input: NspawnInput): string[] {
  return [
    "-D",
    input.rootfs,
    "--machine",
    input.machine,
    "-b",
    `--network-bridge=${input.bridge}`,
    // There is no systemd on this machine to register with or to make a scope for the host.
    "--register=no",
    "--keep-unit",
    "--console=read-only",
    "--link-journal=no",
    // The host's resolv.conf is its own (no DNS in the lab); nspawn must not copy this machine's.
    "--resolv-conf=off",
    `--system-call-filter=${EXTRA_SYSTEM_CALLS.join(" ")}`,
    ...(EXTRA_CAPABILITIES.length > 0 ? [`--capability=${EXTRA_CAPABILITIES.join(",")}`] : []),
  ];
}

/** The arguments (argv without the program) of a live, non-zombie process; undefined when there is none. */
function processArgv(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/\) Z /.test(stat)) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  } catch {
    return undefined;
  }
}

/**
 * Whether a started host's process still lives: between start and exec it is still boot-host.sh, so
 * this does not ask for nspawn (runningPid does).
 */
export function hostProcessAlive(pid: number): boolean {
  return processArgv(pid) !== undefined;
}

/** The root directory of a systemd-nspawn process, or undefined when the PID is not (or no longer) nspawn. */
export function nspawnRootOf(pid: number): string | undefined {
  const argv = processArgv(pid);
  if (argv === undefined || path.basename(argv[0] ?? "") !== "systemd-nspawn") return undefined;
  const d = argv.indexOf("-D");
  return d >= 0 ? argv[d + 1] : undefined;
}

/** The host's nspawn PID when it is running. */
export function runningPid(host: string): number | undefined {
  const file = pidFilePath(host);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return nspawnRootOf(pid) === hostRootfsPath(host) ? pid : undefined;
}

/** Whether an nspawn root directory belongs to this clone's lab. */
export function isOurRootfs(root: string): boolean {
  return path.dirname(root) === hostsDir();
}

/** Start a host (its root file system ready, the bridge up); returns nspawn's PID. */
export function startHost(host: string, bridge: string): number {
  const cgroups = createHostCgroups(host);
  const log = hostLogPath(host);
  mkdirSync(path.dirname(log), { recursive: true });
  mkdirSync(path.dirname(pidFilePath(host)), { recursive: true });
  const fd = openSync(log, "a");
  writeSync(fd, `\n===== ${new Date().toISOString()} lab up: starting ${host} =====\n`);
  const args = nspawnArguments({ machine: host, rootfs: hostRootfsPath(host), bridge });
  // detached: the child calls setsid(), so the host outlives this process and no terminal signal reaches it.
  const child = spawn("bash", [labScriptPath("boot-host.sh"), ...cgroups, "--", ...args], {
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start systemd-nspawn for ${host}; see ${log}`);
  child.unref();
  writeFileSync(pidFilePath(host), `${child.pid}\n`);
  return child.pid;
}

export type StopOutcome = "halted" | "killed" | "not running";

/**
 * Stop hosts: SIGTERM to nspawn asks the host to halt cleanly; whoever has not exited after
 * `haltTimeoutMs` is killed with its whole cgroup. PID files are removed.
 */
export function stopHosts(hosts: readonly string[], haltTimeoutMs = 20_000): Map<string, StopOutcome> {
  const outcome = new Map<string, StopOutcome>();
  const waiting = new Map<string, number>();
  for (const host of hosts) {
    const pid = runningPid(host);
    if (pid === undefined) {
      outcome.set(host, "not running");
      continue;
    }
    process.kill(pid, "SIGTERM");
    waiting.set(host, pid);
  }
  const deadline = Date.now() + haltTimeoutMs;
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const [host, pid] of waiting) {
      if (nspawnRootOf(pid) === undefined) {
        outcome.set(host, "halted");
        waiting.delete(host);
      }
    }
    if (waiting.size > 0) pauseSync(200);
  }
  for (const [host, pid] of waiting) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited between the last look and now
    }
    killLabProcesses(host);
    outcome.set(host, "killed");
  }
  for (const host of hosts) rmSync(pidFilePath(host), { force: true });
  return outcome;
}
