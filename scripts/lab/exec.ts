/**
 * Running commands on this machine: synchronous for the short steps of up/down, asynchronous for what the
 * lab does on several hosts at once (waiting for sshd, checks). Errors name the command and carry the end
 * of its output, since that is what one needs to see.
 */
import { execFile, spawnSync, type SpawnSyncOptions } from "node:child_process";

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(`'${command}' failed (exit ${result.status}):\n${tail(result.stderr || result.stdout, 20)}`);
  }
}

/** Run a command; a non-zero exit is returned, not thrown. */
export function tryRun(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) return { status: 127, stdout: "", stderr: `${cmd}: ${r.error.message}` };
  return { status: r.status ?? 128, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Run a command and return its stdout; a non-zero exit throws a CommandError. */
export function run(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const r = tryRun(cmd, args, options);
  if (r.status !== 0) throw new CommandError([cmd, ...args].join(" "), r);
  return r.stdout;
}

/** Run a command without waiting synchronously; resolves with its exit status (never rejects). */
export function runAsync(cmd: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === "number" ? err.code : 124;
      resolve({ status, stdout, stderr: err !== null && stderr === "" ? err.message : stderr });
    });
  });
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Resolve after `ms` milliseconds: the step of a bounded wait loop. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Block for `ms` milliseconds: the step of a synchronous bounded wait loop. */
export function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
