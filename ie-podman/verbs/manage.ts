/**
 * The verbs that act on one or more of the caller's containers: stop, start, rm, logs, exec, inspect.
 * Each resolves the names it is given among the caller's own containers (another user's container answers
 * like a missing one) and hands podman the full id, never the user's word, after `--`. On a host whose GPUs
 * Slurm owns, stop and rm end a container's allocation, and start refuses a container whose allocation ended.
 */
import { verbArgs } from "../args";
import { UsageError, type VerbContext, policyContext, userOf } from "../context";
import { holdsAllocation, reconcile, withoutContainers } from "../leases";
import { resolveOwn } from "../ownership";
import { PolicyError, parseExec } from "../policy";
import { podman } from "../podman";
import { type JobStates, endedReason, holdsGpus } from "../slurm";
import { jobStates } from "../slurm-gpus";
import { readLedger, withLedger } from "../store";
import { endAllocations, settleAllocations, withEnded } from "./sync";

function ownIds(refs: readonly string[], uid: number, verb: string): string[] {
  if (refs.length === 0) throw new UsageError(`ie-podman ${verb}: name at least one container (ie-podman ps lists yours)`);
  const all = podman.containers();
  return refs.map((ref) => resolveOwn(all, uid, ref).Id);
}

export async function stop(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("stop", argv, { time: { type: "string", short: "t" } });
  if (values.time !== undefined && !/^\d{1,4}$/.test(values.time)) throw new UsageError(`ie-podman stop: --time '${values.time}' is not a number of seconds`);
  const ids = ownIds(positionals, caller.uid, "stop");
  ctx.allowed(`stop ${ids.join(" ")}`);
  process.stdout.write(podman.capture(["stop", ...(values.time !== undefined ? [`--time=${values.time}`] : []), "--", ...ids]).stdout);
  // A stopped GPU container gives its Slurm allocation back at once (starting it again needs a new one: run).
  await endOwnAllocations(ctx, ids, "the container was stopped (ie-podman stop)");
  return 0;
}

/** Ends the Slurm allocations the containers `ids` still hold and records why; nothing on a host in ledger mode. */
async function endOwnAllocations(ctx: VerbContext, ids: readonly string[], reason: string): Promise<void> {
  if (ctx.config.slurm === undefined) return;
  const wanted = new Set(ids);
  const failures = await withLedger(ctx.config.ledger, (ledger) => {
    const { ended, failures } = endAllocations(ctx.slurm, ledger.leases.filter((l) => wanted.has(l.container)), reason);
    return { ledger: withEnded(ledger, ended), result: failures };
  });
  if (failures.length > 0) throw new Error(`${failures.join("; ")} (ie-podman sync tries again every 15 s)`);
}

/**
 * Refuses to start a GPU container whose Slurm allocation ended: its GPUs may be a Slurm job's now. Asks
 * Slurm when the ledger does not know yet (sync records it within 15 s).
 */
function refuseEndedAllocations(ctx: VerbContext, ids: readonly string[]): void {
  if (ctx.config.slurm === undefined) return;
  const wanted = new Set(ids);
  const leases = readLedger(ctx.config.ledger).leases.filter((l) => wanted.has(l.container) && l.job !== undefined);
  if (leases.length === 0) return;
  const states: JobStates = leases.some((l) => l.ended === undefined) ? jobStates(ctx.slurm) : new Map();
  for (const lease of leases) {
    const state = lease.job !== undefined ? states.get(lease.job)?.state : undefined;
    const why = lease.ended ?? (state !== undefined && holdsGpus(state) ? undefined : `Slurm job ${lease.job ?? ""} ended: ${endedReason(state)}`);
    if (why === undefined) continue;
    const short = lease.container.slice(0, 12);
    throw new PolicyError(short, `refused: its GPU allocation is over (${why}) and its GPUs may be a Slurm job's now; remove it (ie-podman rm ${short}) and run a new container with --gpu`);
  }
}

export async function start(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("start", argv, { attach: { type: "boolean", short: "a" }, interactive: { type: "boolean", short: "i" } });
  const ids = ownIds(positionals, caller.uid, "start");
  refuseEndedAllocations(ctx, ids);
  ctx.allowed(`start ${ids.join(" ")}`);
  if (values.attach === true) {
    if (ids.length !== 1) throw new UsageError("ie-podman start --attach: one container at a time");
    const status = podman.attached(["start", "--attach", ...(values.interactive === true ? ["--interactive"] : []), "--", ids[0]]);
    await settleAllocations(ctx, new Set(ids)).catch((e: unknown) => process.stderr.write(`ie-podman: ${(e as Error).message}\n`));
    return status;
  }
  process.stdout.write(podman.capture(["start", "--", ...ids]).stdout);
  return 0;
}

export async function rm(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("rm", argv, { force: { type: "boolean", short: "f" }, time: { type: "string", short: "t" } });
  if (values.time !== undefined && !/^\d{1,4}$/.test(values.time)) throw new UsageError(`ie-podman rm: --time '${values.time}' is not a number of seconds`);
  const ids = ownIds(positionals, caller.uid, "rm");
  ctx.allowed(`rm ${ids.join(" ")}`);
  const out = await withLedger(ctx.config.ledger, (ledger) => {
    const removed = podman.capture(["rm", ...(values.force === true ? ["--force"] : []), ...(values.time !== undefined ? [`--time=${values.time}`] : []), "--", ...ids]).stdout;
    // The GPUs of a removed container go back to Slurm; a lease whose scancel failed stays for sync to retry.
    const { ended, failures } = endAllocations(ctx.slurm, ledger.leases.filter((l) => ids.includes(l.container)), "the container was removed (ie-podman rm)");
    const gone = ids.filter((id) => ended.has(id) || !ledger.leases.some((l) => l.container === id && holdsAllocation(l)));
    return { ledger: reconcile(withoutContainers(withEnded(ledger, ended), new Set(gone)), podman.containers(), ctx.now()), result: { removed, failures } };
  });
  process.stdout.write(out.removed);
  if (out.failures.length > 0) throw new Error(`${out.failures.join("; ")} (ie-podman sync tries again every 15 s)`);
  return 0;
}

export async function logs(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("logs", argv, {
    follow: { type: "boolean", short: "f" },
    tail: { type: "string" },
    timestamps: { type: "boolean", short: "t" },
  });
  if (values.tail !== undefined && !/^\d{1,7}$/.test(values.tail)) throw new UsageError(`ie-podman logs: --tail '${values.tail}' is not a number of lines`);
  if (positionals.length !== 1) throw new UsageError("ie-podman logs: name one container");
  const [id] = ownIds(positionals, caller.uid, "logs");
  ctx.allowed(`logs ${id}`);
  return podman.attached([
    "logs",
    ...(values.follow === true ? ["--follow"] : []),
    ...(values.timestamps === true ? ["--timestamps"] : []),
    ...(values.tail !== undefined ? [`--tail=${values.tail}`] : []),
    "--",
    id,
  ]);
}

export async function exec(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const request = parseExec(argv, policyContext(caller, ctx.config));
  const [id] = ownIds([request.container], caller.uid, "exec");
  ctx.allowed(`exec in ${id}: ${request.command.join(" ")}`);
  // No --user: podman exec runs as the container's user, the caller's uid set at create time.
  return podman.attached(["exec", ...request.options, "--", id, ...request.command]);
}

export async function inspect(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { positionals } = verbArgs("inspect", argv, {});
  const ids = ownIds(positionals, caller.uid, "inspect");
  ctx.allowed(`inspect ${ids.join(" ")}`);
  process.stdout.write(podman.capture(["container", "inspect", "--", ...ids]).stdout);
  return 0;
}
