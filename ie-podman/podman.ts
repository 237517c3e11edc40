/**
 * Running podman (and the few other programs ie-podman needs) as root, with an environment of
 * ie-podman's own: nothing of the caller's environment reaches podman.
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import type { ContainerState } from "./leases";
import type { PodmanContainer } from "./ownership";

export const PODMAN = "/usr/bin/podman";

/**
 * The lab and older servers run cgroup v1, where podman 5 warns on every call; the warning is for admins
 * (`podman info`), not for students' output.
 */
export const ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  PODMAN_IGNORE_CGROUPSV1_WARNING: "1",
  ...(process.env.TERM !== undefined ? { TERM: process.env.TERM } : {}),
};

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly status: number,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${status})${stderr.trim() !== "" ? `: ${stderr.trim()}` : ""}`);
  }
}

export interface Captured {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `program args`, output captured; throws CommandFailed on a non-zero exit. */
export function capture(program: string, args: readonly string[], options: SpawnSyncOptions = {}): Captured {
  const r = spawnSync(program, args, { env: ENV, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.error !== undefined) throw new CommandFailed(program, 127, r.error.message);
  const stdout = String(r.stdout ?? "");
  const stderr = String(r.stderr ?? "");
  if (r.status !== 0) throw new CommandFailed(`${program} ${args[0] ?? ""}`.trim(), r.status ?? 128, stderr);
  return { stdout, stderr };
}

/** Runs `program args` on the caller's terminal; returns its exit status. */
export function attached(program: string, args: readonly string[], options: SpawnSyncOptions = {}): number {
  const r = spawnSync(program, args, { env: ENV, stdio: "inherit", ...options });
  if (r.error !== undefined) throw new CommandFailed(program, 127, r.error.message);
  return r.status ?? 128 + 1;
}

export const podman = {
  capture: (args: readonly string[], options?: SpawnSyncOptions) => capture(PODMAN, args, options),
  attached: (args: readonly string[], options?: SpawnSyncOptions) => attached(PODMAN, args, options),
  /** Every container on the host, ie-podman's or not. */
  containers(): (PodmanContainer & ContainerState)[] {
    const out = capture(PODMAN, ["ps", "--all", "--format", "json"]).stdout.trim();
    return out === "" ? [] : (JSON.parse(out) as (PodmanContainer & ContainerState)[]);
  },
};
