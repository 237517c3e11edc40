/**
 * `ie-podman run`: the policy checks the arguments, then, under the ledger's lock, ie-podman checks the
 * caller's caps, picks the address and GPUs, creates the container with its confinement and records the lease;
 * the container is started after the lock is released (attached, or detached with `-d`).
 *
 * On a host whose GPUs Slurm owns (the configuration's `slurm`), `--gpu` GPUs are not picked from the ledger:
 * they are allocated in Slurm in the caller's name first, outside the lock (a wait for free GPUs must not hold
 * up everyone else's ie-podman), and the lease records the job. Whatever fails after the allocation ends it.
 */
import { capsFor } from "../config";
import { type VerbContext, policyContext, presentDevices, userOf } from "../context";
import { type Ledger, freeAddress, freeGpus, holdsAllocation, reconcile, withLease, withoutContainers } from "../leases";
import { capsRefusal, checkCaps } from "../limits";
import { type RunRequest, parseRun, podmanCreateArgs } from "../policy";
import { podman } from "../podman";
import { type Allocation, allocateGpus, cancelJob, containerResources } from "../slurm-gpus";
import { readLedger, withLedger } from "../store";
import { settleAllocations } from "./sync";

/** A job id that a lease already holds: it is that container's allocation, never to be cancelled for this run. */
class JobInUse extends Error {}

/** Podman's own NAT network, for containers that did not ask for an address of the pool. */
export const DEFAULT_NETWORK = "podman";

export async function run(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { config } = ctx;
  const request = parseRun(argv, policyContext(caller, config));
  const { caps, source } = capsFor(config, caller.uid);
  ctx.allowed(`image ${request.image}${request.ip ? ", an address" : ""}${request.gpus > 0 ? `, ${request.gpus} GPU(s)` : ""}`);
  const allocation = slurmAllocation(request, ctx);
  const created = await createContainer(request, ctx, allocation, caps, source).catch((e: unknown) => {
    if (allocation !== undefined && !(e instanceof JobInUse)) endQuietly(ctx, allocation.job);
    throw e;
  });
  // What the user asked for, on stderr (stdout stays the container's, or the id with -d).
  const given = [
    ...(created.ip !== undefined ? [`address ${created.ip}`] : []),
    ...(created.gpus.length > 0 ? [`GPU ${created.gpus.join(",")}`] : []),
    ...(allocation !== undefined ? [`Slurm job ${allocation.job} for ${request.minutes ?? config.slurm?.maxTimeMinutes} min`] : []),
  ];
  if (given.length > 0) process.stderr.write(`ie-podman: ${created.id.slice(0, 12)}: ${given.join(", ")}\n`);
  if (request.detach) {
    try {
      podman.capture(["start", "--", created.id]);
    } catch (e) {
      // A run that failed leaves nothing behind: no container, no lease, no allocation.
      await withLedger(config.ledger, (ledger) => {
        podman.capture(["rm", "--force", "--time=0", "--", created.id]);
        return { ledger: withoutContainers(ledger, new Set([created.id])), result: undefined };
      });
      if (allocation !== undefined) endQuietly(ctx, allocation.job);
      throw e;
    }
    process.stdout.write(`${created.id}\n`);
    return 0;
  }
  const status = podman.attached(["start", "--attach", ...(request.interactive ? ["--interactive"] : []), "--", created.id]);
  // The container ended (or the user detached: then it runs on and keeps its GPUs): give them back to Slurm now.
  if (allocation !== undefined) await settleAllocations(ctx, new Set([created.id])).catch((e: unknown) => process.stderr.write(`ie-podman: ${(e as Error).message}\n`));
  return status;
}

/**
 * The Slurm allocation of a GPU run on a host whose GPUs Slurm owns; undefined elsewhere or without --gpu.
 * The caps are checked first (without the lock: the check under the lock is the one that counts), so a user
 * at their cap gets no allocation at all.
 */
function slurmAllocation(request: RunRequest, ctx: VerbContext): Allocation | undefined {
  const slurm = ctx.config.slurm;
  const caller = userOf(ctx);
  if (slurm === undefined || request.gpus === 0) return undefined;
  const { caps, source } = capsFor(ctx.config, caller.uid);
  checkCaps(reconcile(readLedger(ctx.config.ledger), podman.containers(), ctx.now()), caller.uid, request, caps, source);
  return allocateGpus(
    ctx.slurm,
    slurm,
    caller,
    { gpus: request.gpus, minutes: request.minutes ?? slurm.maxTimeMinutes, waitSeconds: request.gpuWaitSeconds ?? 1, ...containerResources(request.limits) },
    ctx.config.gpus,
  );
}

/** Under the lock: caps, address, GPUs (the allocation's, or the ledger's), the container and its lease. */
async function createContainer(
  request: RunRequest,
  ctx: VerbContext,
  allocation: Allocation | undefined,
  caps: ReturnType<typeof capsFor>["caps"],
  source: ReturnType<typeof capsFor>["source"],
): Promise<{ id: string; ip?: string; gpus: readonly number[] }> {
  const { config } = ctx;
  const caller = userOf(ctx);
  return withLedger(config.ledger, (current) => {
    const ledger = ledgerToDecideOn(current, request, caller.uid, caps, source, ctx.now());
    // Under the lock: parallel runs of one user cannot all slip under a cap.
    checkCaps(ledger, caller.uid, request, caps, source);
    // salloc's output came from a process of the caller's: a job id another lease holds is never a second container's.
    if (allocation !== undefined && ledger.leases.some((l) => l.job === allocation.job && holdsAllocation(l))) {
      throw new JobInUse(`Slurm job ${allocation.job} already holds the GPUs of another container`);
    }
    // A GPU container from before this host's GPUs were Slurm's holds its GPUs unknown to Slurm: never share them.
    const clash = allocation?.gpus.filter((g) => ledger.leases.some((l) => l.job === undefined && l.gpus.includes(g))) ?? [];
    if (clash.length > 0) throw new Error(`GPU ${clash.join(",")} is still used by a container from before this host's GPUs came from Slurm: ask an admin to remove it`);
    const ip = request.ip ? freeAddress(ledger, config.pool) : undefined;
    const gpus = allocation !== undefined ? allocation.gpus : request.gpus > 0 ? freeGpus(ledger, config.gpus, request.gpus) : [];
    const args = podmanCreateArgs(request, caller, {
      network: ip !== undefined ? config.network : DEFAULT_NETWORK,
      ip,
      gpus,
      devicePrefix: config.devicePrefix,
      sharedGpuDevices: presentDevices(config.sharedGpuDevices),
    });
    const id = podman.capture(args).stdout.trim();
    const lease = {
      container: id,
      uid: caller.uid,
      ...(ip !== undefined ? { ip } : {}),
      gpus,
      since: new Date(ctx.now() * 1000).toISOString(),
      ...(allocation !== undefined ? { job: allocation.job } : {}),
    };
    return { ledger: withLease(ledger, lease), result: { id, ip, gpus } };
  });
}

/**
 * The ledger a run is decided on. A lease whose container is gone only over-counts (towards a cap, or as a taken
 * address or GPU), so a run that takes neither address nor GPU and is within its caps on the ledger as recorded
 * is decided on it as it is, without `podman ps`, whose time grows with every container on the host. Any other
 * run is decided on the ledger brought up to date with Podman. The stale leases the fast path leaves stay bounded:
 * a user's own reach their cap at most, and then the next run of theirs reconciles; `ps`, `rm` and the reaper's
 * timer reconcile too.
 */
function ledgerToDecideOn(
  current: Ledger,
  request: RunRequest,
  uid: number,
  caps: ReturnType<typeof capsFor>["caps"],
  source: ReturnType<typeof capsFor>["source"],
  now: number,
): Ledger {
  if (!request.ip && request.gpus === 0 && capsRefusal(current, uid, request, caps, source) === undefined) return current;
  return reconcile(current, podman.containers(), now);
}

/** Ends an allocation this run made (root: `allocateGpus` confirmed it is the caller's); a failure is said, not thrown. */
function endQuietly(ctx: VerbContext, job: string): void {
  const failure = cancelJob(ctx.slurm, job, "root");
  if (failure !== undefined) process.stderr.write(`ie-podman: ${failure}; end it with scancel ${job}\n`);
}
