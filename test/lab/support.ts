/**
 * What the lab tests need to reach the lab hosts: run a command as root or as an ordinary user over SSH with
 * the lab's key and pinned known_hosts, and wait (bounded) for a condition. The lab must be up and applied
 * (`npm run test:lab` does both before running these tests).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { labHosts, labSshArgs, labSshKeyPath, projectRoot as labProjectRoot } from "../../scripts/lab/lab";

export const projectRoot = labProjectRoot();

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Single-quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lab host's address: this machine does not resolve the lab's names. */
function addressOf(host: string): string {
  const found = labHosts().find((h) => h.name === host);
  if (found === undefined) throw new Error(`no lab host ${host} in stacks/Pulumi.lab.yaml`);
  return found.address;
}

/**
 * Runs `script` with bash on `host` as root, `stdin` fed to it, with the lab's own key and pinned host keys
 * (the same ssh options as `npm run lab -- ssh`). Never throws on a non-zero exit.
 */
export function onHost(host: string, script: string, stdin?: string): Run {
  if (!existsSync(labSshKeyPath())) throw new Error(`no lab key at ${labSshKeyPath()}: run 'npm run lab -- up' first`);
  const args = labSshArgs(addressOf(host), [`bash -c ${shellQuote(`set -euo pipefail\n${script}`)}`], true, 10);
  const r = spawnSync("ssh", args, { input: stdin ?? "", encoding: "utf8", timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs `script` on `host` as the ordinary user `user` (a login shell in their home), through runuser. */
export function asUser(host: string, user: string, script: string): Run {
  return onHost(host, `cd ~${user} && runuser -u ${user} -- bash -lc ${shellQuote(script)}`);
}

/** Like onHost, but throws with the output when the command fails. */
export function must(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** Polls `probe` every `intervalMs` until it returns a value, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
