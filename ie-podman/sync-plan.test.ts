import { describe, expect, it } from "vitest";
import type { ContainerState, Lease } from "./leases";
import type { JobStates } from "./slurm";
import { START_GRACE_SECONDS, syncPlan } from "./sync-plan";

const NOW = 1_800_000_000;
const since = (secondsAgo: number) => new Date((NOW - secondsAgo) * 1000).toISOString();
const lease = (container: string, job: string | undefined, extra: Partial<Lease> = {}): Lease => ({ container, uid: 2001, gpus: [0], since: since(3600), ...(job !== undefined ? { job } : {}), ...extra });
const c = (Id: string, State: string): ContainerState => ({ Id, State });
const states = (entries: Record<string, string>): JobStates => new Map(Object.entries(entries).map(([id, state]) => [id, { state, reason: "None" }]));
const kinds = (plan: ReturnType<typeof syncPlan>) => plan.map((a) => `${a.kind} ${a.lease.container}: ${a.reason}`);

describe("ie-podman sync's plan", () => {
  it("leaves a running container with a running allocation alone, and leases without a job (the ledger's GPUs)", () => {
    expect(syncPlan([lease("a", "100"), lease("b", undefined)], [c("a", "running"), c("b", "exited")], states({ 100: "RUNNING" }), NOW)).toEqual([]);
  });

  it("stops a running container whose allocation ended, saying why", () => {
    const plan = syncPlan([lease("a", "100"), lease("b", "101"), lease("d", "103")], [c("a", "running"), c("b", "running"), c("d", "paused")], states({ 100: "TIMEOUT", 101: "CANCELLED" }), NOW);
    expect(kinds(plan)).toEqual([
      "stop a: Slurm job 100 ended: its time limit was reached",
      "stop b: Slurm job 101 ended: it was cancelled in Slurm (scancel)",
      "stop d: Slurm job 103 ended: Slurm no longer knows the job",
    ]);
  });

  it("ends the allocation of a container that stopped or vanished", () => {
    const plan = syncPlan([lease("a", "100"), lease("b", "101")], [c("a", "exited")], states({ 100: "RUNNING", 101: "RUNNING" }), NOW);
    expect(kinds(plan)).toEqual(["cancel a: Slurm job 100 ended: the container stopped", "cancel b: Slurm job 101 ended: the container was removed"]);
  });

  it("records an allocation that ended while its container was stopped", () => {
    expect(kinds(syncPlan([lease("a", "100")], [c("a", "exited")], states({ 100: "TIMEOUT" }), NOW))).toEqual(["record a: Slurm job 100 ended: its time limit was reached"]);
  });

  it("stops again a container whose allocation was recorded as ended but runs (an admin started it)", () => {
    const plan = syncPlan([lease("a", "100", { ended: "Slurm job 100 ended: x" }), lease("b", "101", { ended: "y" })], [c("a", "running"), c("b", "exited")], states({}), NOW);
    expect(kinds(plan)).toEqual(["stop a: Slurm job 100 ended: x"]);
  });

  it("gives a container just created the time to start before it counts as stopped", () => {
    const young = lease("a", "100", { since: since(START_GRACE_SECONDS - 5) });
    expect(syncPlan([young], [c("a", "created")], states({ 100: "RUNNING" }), NOW)).toEqual([]);
    const old = lease("a", "100", { since: since(START_GRACE_SECONDS + 5) });
    expect(kinds(syncPlan([old], [c("a", "created")], states({ 100: "RUNNING" }), NOW))).toEqual(["cancel a: Slurm job 100 ended: the container never started"]);
  });

  it("keeps a suspended job's allocation (it keeps its GPUs)", () => {
    expect(syncPlan([lease("a", "100")], [c("a", "running")], states({ 100: "SUSPENDED" }), NOW)).toEqual([]);
  });
});
