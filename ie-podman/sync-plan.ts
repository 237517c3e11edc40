/**
 * What `ie-podman sync` does about each GPU container whose GPUs come from a Slurm allocation: the container
 * and its allocation end together. Pure: the ledger's leases, Podman's containers and Slurm's job states in,
 * the actions out (verbs/sync.ts carries them out).
 */
import { LIVE_STATES, type ContainerState, type Lease } from "./leases";
import { type JobStates, endedReason, holdsGpus } from "./slurm";

export type SyncAction =
  /** The allocation is over and the container runs: stop it (its GPUs are Slurm's again), record why. */
  | { readonly kind: "stop"; readonly lease: Lease; readonly reason: string }
  /** The allocation is over and the container does not run: record why. */
  | { readonly kind: "record"; readonly lease: Lease; readonly reason: string }
  /** The container stopped or is gone while the allocation holds the GPUs: end the allocation (scancel), record why. */
  | { readonly kind: "cancel"; readonly lease: Lease & { readonly job: string }; readonly reason: string };

/**
 * Seconds a container just created may stay un-started before its allocation is ended: `run` records the
 * lease under the ledger's lock and starts the container right after it.
 */
export const START_GRACE_SECONDS = 60;

/** The actions for the leases that have a job, given what Podman and Slurm say now. */
export function syncPlan(leases: readonly Lease[], containers: readonly ContainerState[], states: JobStates, now: number): SyncAction[] {
  const byId = new Map(containers.map((c) => [c.Id, c]));
  const out: SyncAction[] = [];
  for (const lease of leases) {
    if (lease.job === undefined) continue;
    const container = byId.get(lease.container);
    const live = container !== undefined && LIVE_STATES.has(container.State);
    if (lease.ended !== undefined) {
      // Recorded before, but the container still runs (its stop failed, or an admin started it): stop it again.
      if (live) out.push({ kind: "stop", lease, reason: lease.ended });
      continue;
    }
    const state = states.get(lease.job)?.state;
    const holds = state !== undefined && holdsGpus(state);
    if (!holds) {
      out.push({ kind: live ? "stop" : "record", lease, reason: `Slurm job ${lease.job} ended: ${endedReason(state)}` });
      continue;
    }
    if (live) continue;
    const age = now - Date.parse(lease.since) / 1000;
    if (container?.State === "created" && age < START_GRACE_SECONDS) continue;
    const what = container === undefined ? "the container was removed" : `the container ${container.State === "created" ? "never started" : "stopped"}`;
    out.push({ kind: "cancel", lease: { ...lease, job: lease.job }, reason: `Slurm job ${lease.job} ended: ${what}` });
  }
  return out;
}
