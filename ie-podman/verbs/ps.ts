/**
 * `ie-podman ps`: the caller's containers with the address, the GPUs (and, where Slurm owns them, the job that
 * holds them or why it ended), how long each has been stopped and when the reaper will remove it. It also
 * refreshes the caller's status file, which the login message reads.
 */
import { verbArgs } from "../args";
import { type VerbContext, userOf } from "../context";
import { LIVE_STATES, exitTime, type Lease } from "../leases";
import { humanDuration, ownContainers, type PodmanContainer } from "../ownership";
import { podman } from "../podman";
import { STATUS_DIR, statusText, writeStatus } from "../status";
import { readLedger } from "../store";

/** One row of `ps`, as `--json` prints it. */
export interface PsRow {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  readonly ip?: string;
  readonly gpus: readonly number[];
  /** The Slurm job holding the GPUs (hosts whose GPUs Slurm owns). */
  readonly job?: string;
  /** Why that allocation ended; absent while it holds the GPUs. */
  readonly jobEnded?: string;
  /** Seconds since it stopped; absent while it runs. */
  readonly stoppedForSeconds?: number;
  /**
   * Seconds until the reaper may remove it (0: at its next hourly run); absent while it runs and for a
   * container ie-podman holds no lease of (the reaper removes only those it leased).
   */
  readonly removedInSeconds?: number;
}

/** The rows of the caller's containers: what Podman says, with what the ledger holds for each. */
export function psRows(containers: readonly PodmanContainer[], leases: readonly Lease[], uid: number, now: number, all: boolean, reapAfterSeconds: number): PsRow[] {
  const byId = new Map(leases.map((l) => [l.container, l]));
  return ownContainers(containers, uid)
    .filter((c) => all || LIVE_STATES.has(c.State))
    .map((c) => {
      const lease = byId.get(c.Id);
      const stoppedAt = LIVE_STATES.has(c.State) ? undefined : (lease?.stoppedAt ?? exitTime(c));
      // The reaper's own rule (leasesToReap): a leased container stopped longer than reapAfter.
      const reapable = lease !== undefined && stoppedAt !== undefined;
      return {
        id: c.Id,
        name: c.Names[0] ?? "",
        image: c.Image,
        state: c.State,
        ...(lease?.ip !== undefined ? { ip: lease.ip } : {}),
        gpus: lease?.gpus ?? [],
        ...(lease?.job !== undefined ? { job: lease.job } : {}),
        ...(lease?.ended !== undefined ? { jobEnded: lease.ended } : {}),
        ...(stoppedAt !== undefined ? { stoppedForSeconds: Math.max(0, now - stoppedAt) } : {}),
        ...(reapable ? { removedInSeconds: Math.max(0, stoppedAt + reapAfterSeconds - now) } : {}),
      };
    });
}

/** "removed in 2d 3h", "removed at the next reaper run", or "-" for a container the reaper does not take. */
export function removalText(row: Pick<PsRow, "removedInSeconds">): string {
  if (row.removedInSeconds === undefined) return "-";
  return row.removedInSeconds === 0 ? "removed within the hour" : `removed in ${humanDuration(row.removedInSeconds)}`;
}

/** The JOB cell: the Slurm job, and why its allocation ended once it has. */
export function jobText(row: Pick<PsRow, "job" | "jobEnded">): string {
  if (row.job === undefined) return "-";
  return row.jobEnded !== undefined ? `${row.job} (ended: ${row.jobEnded.replace(/^Slurm job \d+ ended: /, "")})` : row.job;
}

/** The rows as a table with a header; with `jobs` (a host whose GPUs Slurm owns) a JOB column after GPUS. */
export function psTable(rows: readonly PsRow[], jobs = false): string {
  const cells = [
    ["CONTAINER ID", "NAME", "IMAGE", "STATE", "IP", "GPUS", ...(jobs ? ["JOB"] : []), "STOPPED FOR", "REAPER"],
    ...rows.map((r) => [
      r.id.slice(0, 12),
      r.name,
      r.image,
      r.state,
      r.ip ?? "-",
      r.gpus.length > 0 ? r.gpus.join(",") : "-",
      ...(jobs ? [jobText(r)] : []),
      r.stoppedForSeconds !== undefined ? humanDuration(r.stoppedForSeconds) : "-",
      removalText(r),
    ]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n") + "\n";
}

export async function ps(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("ps", argv, { all: { type: "boolean", short: "a" }, json: { type: "boolean" } });
  if (positionals.length > 0) throw new Error(`ie-podman ps takes no arguments, got '${positionals[0]}'`);
  ctx.allowed("list own containers");
  const now = ctx.now();
  const containers = podman.containers();
  const leases = readLedger(ctx.config.ledger).leases;
  const rows = psRows(containers, leases, caller.uid, now, values.all === true, ctx.config.reapAfterSeconds);
  process.stdout.write(values.json === true ? `${JSON.stringify(rows, null, 2)}\n` : psTable(rows, ctx.config.slurm !== undefined));
  try {
    writeStatus(STATUS_DIR, caller.uid, caller.gid, statusText(psRows(containers, leases, caller.uid, now, true, ctx.config.reapAfterSeconds), caller.uid, now));
  } catch {
    // The login message is a convenience: a status file that cannot be written leaves the last one (or none).
  }
  return 0;
}
