/**
 * `ie-podman sync`: run by a systemd timer every 15 s (root, not through sudo) on a host whose GPUs Slurm owns.
 * A GPU container and its Slurm allocation end together (sync-plan.ts): a container whose allocation ended
 * (time limit, an admin's scancel, a failed node) is stopped, and the allocation of a container that stopped or
 * was removed is cancelled. Each is recorded in the lease (`ended`, which `ps` shows and `start` heeds) and in
 * the audit log under the owner's uid. When Slurm does not answer, nothing is judged and nothing is stopped.
 *
 * Also here: ending the allocations of containers that stop, rm and the reaper take (as root: the job ids are
 * the ledger's, confirmed as the owner's when they were recorded).
 */
import { verbArgs } from "../args";
import { audit } from "../audit";
import { UsageError, type VerbContext } from "../context";
import { type Lease, type Ledger, holdsAllocation, reconcile } from "../leases";
import { userName } from "../passwd";
import { podman } from "../podman";
import type { JobStates } from "../slurm";
import { cancelJob, jobStates, type SlurmRunner } from "../slurm-gpus";
import { type SyncAction, syncPlan } from "../sync-plan";
import { withLedger } from "../store";

export async function sync(argv: readonly string[], ctx: VerbContext): Promise<number> {
  if (ctx.caller !== undefined) throw new UsageError("ie-podman sync is root's (a systemd timer's): your GPU containers are kept in step with Slurm for you");
  const { positionals } = verbArgs("sync", argv, {});
  if (positionals.length > 0) throw new UsageError(`ie-podman sync takes no arguments, got '${positionals[0]}'`);
  if (ctx.config.slurm === undefined) return 0;
  await settleAllocations(ctx);
  return 0;
}

/**
 * Brings the GPU containers (all, or those of `only`) in step with their allocations, as `sync` does; also
 * run after an attached container returns, so its GPUs go back to Slurm at once. Returns what was done.
 */
export async function settleAllocations(ctx: VerbContext, only?: ReadonlySet<string>): Promise<SyncAction[]> {
  if (ctx.config.slurm === undefined) return [];
  const failures: string[] = [];
  const acted = await withLedger(ctx.config.ledger, (current) => {
    const now = ctx.now();
    const containers = podman.containers();
    const ledger = reconcile(current, containers, now);
    const leases = ledger.leases.filter((l) => l.job !== undefined && (only === undefined || only.has(l.container)));
    if (leases.length === 0) return { ledger, result: [] };
    // Under the lock: a lease recorded by a run after this answer would otherwise look like a job Slurm does not know.
    // Only allocations not yet ended need Slurm's word (stopped containers wait for the reaper with theirs ended).
    const states: JobStates = leases.some(holdsAllocation) ? jobStates(ctx.slurm) : new Map();
    const plan = syncPlan(leases, containers, states, now);
    const done = plan.filter((action) => {
      if (action.kind !== "cancel") return true;
      const failure = cancelJob(ctx.slurm, action.lease.job, "root");
      if (failure !== undefined) failures.push(failure);
      return failure === undefined;
    });
    const reasons = new Map(done.map((a) => [a.lease.container, a.reason]));
    return { ledger: reconcile(withEnded(ledger, reasons), containers, now), result: done };
  });
  for (const action of acted) {
    if (action.kind === "stop") stopQuietly(action.lease.container, failures);
    const line = `${action.lease.container.slice(0, 12)}: ${action.kind === "stop" ? `stopped: ${action.reason}` : action.reason}`;
    if (ctx.caller === undefined) process.stdout.write(`${line}\n`);
    audit(ctx.config.auditLog, { uid: action.lease.uid, user: userName(action.lease.uid), verb: "sync", args: [action.lease.container], decision: "done", detail: line });
  }
  if (failures.length > 0) throw new Error(failures.join("; "));
  return acted;
}

function stopQuietly(container: string, failures: string[]): void {
  try {
    podman.capture(["stop", "--time=10", "--", container]);
  } catch (e) {
    failures.push(`stopping ${container.slice(0, 12)}: ${(e as Error).message}`);
  }
}

/** The ledger with `ended` recorded on the leases named (a recorded reason is kept). */
export function withEnded(ledger: Ledger, reasons: ReadonlyMap<string, string>): Ledger {
  return {
    ...ledger,
    leases: ledger.leases.map((l) => {
      const reason = reasons.get(l.container);
      return reason !== undefined && l.ended === undefined ? { ...l, ended: reason } : l;
    }),
  };
}

/**
 * Ends the allocations still held by `leases` (scancel as root). Returns the reason recorded for each
 * container whose allocation is over, and the failures (those leases keep their job: sync tries again).
 */
export function endAllocations(runner: SlurmRunner, leases: readonly Lease[], reason: string): { readonly ended: Map<string, string>; readonly failures: string[] } {
  const ended = new Map<string, string>();
  const failures: string[] = [];
  for (const lease of leases) {
    if (!holdsAllocation(lease)) continue;
    const failure = cancelJob(runner, lease.job, "root");
    if (failure === undefined) ended.set(lease.container, `Slurm job ${lease.job} ended: ${reason}`);
    else failures.push(failure);
  }
  return { ended, failures };
}
