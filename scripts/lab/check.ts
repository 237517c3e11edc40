/**
 * A quick health check of a running lab: every host's nspawn alive, sshd answering with the pinned key,
 * systemd finished booting (`running`, or `degraded` with the failed units named), and its clock agreeing
 * with this machine's (the hosts share this kernel's clock, so a difference means something is wrong).
 */
import { runningPid } from "./machines";
import { sshRun } from "./ssh";
import { UNKNOWN_ADDRESS } from "./status";

/** Largest clock difference accepted, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 2;

export interface HostCheck {
  readonly name: string;
  readonly address: string;
  readonly running: boolean;
  readonly sshd: boolean;
  /** `systemctl is-system-running` after boot finished (or 60 s). */
  readonly systemState?: string;
  readonly failedUnits: readonly string[];
  /** The host's clock minus this machine's, in seconds. */
  readonly clockOffsetSeconds?: number;
  /** Empty when the host is healthy. */
  readonly problems: readonly string[];
}

const PROBE = [
  "state=$(timeout 60 systemctl is-system-running --wait 2>/dev/null || true)",
  'echo "state=${state:-unknown}"',
  "systemctl list-units --state=failed --no-legend --plain | while read -r unit _; do echo \"failed=$unit\"; done",
].join("; ");

/** Parse the probe's output: system state and failed units. */
export function parseProbe(output: string): { state?: string; failed: string[] } {
  const lines = output.split("\n");
  const value = (key: string): string[] => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  return {
    ...(value("state")[0] !== undefined ? { state: value("state")[0] } : {}),
    failed: value("failed").filter((u) => u !== ""),
  };
}

/** The host's clock minus this machine's, from a short `date` over SSH (its round trip bounds the error). */
async function clockOffset(address: string): Promise<{ offset?: number; roundTrip: number }> {
  const before = Date.now() / 1000;
  const r = await sshRun(address, ["date", "+%s.%N"], 15_000, 5);
  const after = Date.now() / 1000;
  const remote = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(remote)) return { roundTrip: after - before };
  return { offset: remote - (before + after) / 2, roundTrip: after - before };
}

export async function checkHost(name: string, address: string): Promise<HostCheck> {
  const running = runningPid(name) !== undefined;
  if (!running) return { name, address, running, sshd: false, failedUnits: [], problems: ["not running"] };
  if (address === UNKNOWN_ADDRESS) {
    return { name, address, running, sshd: false, failedUnits: [], problems: [`runs, but the lab has no record of its address: 'npm run lab -- down ${name}' removes it`] };
  }
  const r = await sshRun(address, [PROBE], 90_000, 5);
  if (r.status !== 0) {
    return { name, address, running, sshd: false, failedUnits: [], problems: [`sshd does not answer: ${r.stderr.trim() || `exit ${r.status}`}`] };
  }
  const probe = parseProbe(r.stdout);
  const problems: string[] = [];
  if (probe.state !== "running" && probe.state !== "degraded") problems.push(`systemd is ${probe.state ?? "unknown"}`);
  const clock = await clockOffset(address);
  const clockOffsetSeconds = clock.offset;
  if (clockOffsetSeconds === undefined || Math.abs(clockOffsetSeconds) > CLOCK_TOLERANCE_SECONDS + clock.roundTrip / 2) {
    problems.push(`clock differs from this machine's by ${clockOffsetSeconds?.toFixed(2) ?? "?"} s`);
  }
  return {
    name,
    address,
    running,
    sshd: true,
    ...(probe.state !== undefined ? { systemState: probe.state } : {}),
    failedUnits: probe.failed,
    ...(clockOffsetSeconds !== undefined ? { clockOffsetSeconds } : {}),
    problems,
  };
}

/** Every host given (lab.ts: the default stack's and every other the run dir knows). */
export function checkLab(hosts: readonly { readonly name: string; readonly address: string }[]): Promise<HostCheck[]> {
  return Promise.all(hosts.map((h) => checkHost(h.name, h.address)));
}
