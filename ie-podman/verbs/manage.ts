/**
 * The verbs that act on one or more of the caller's containers: stop, start, rm, logs, exec, inspect.
 * Each resolves the names it is given among the caller's own containers (another user's container answers
 * like a missing one) and hands podman the full id, never the user's word, after `--`.
 */
import { verbArgs } from "../args";
import { UsageError, type VerbContext, policyContext, userOf } from "../context";
import { reconcile, withoutContainers } from "../leases";
import { resolveOwn } from "../ownership";
import { parseExec } from "../policy";
import { podman } from "../podman";
import { withLedger } from "../store";

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
  return 0;
}

export async function start(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("start", argv, { attach: { type: "boolean", short: "a" }, interactive: { type: "boolean", short: "i" } });
  const ids = ownIds(positionals, caller.uid, "start");
  ctx.allowed(`start ${ids.join(" ")}`);
  if (values.attach === true) {
    if (ids.length !== 1) throw new UsageError("ie-podman start --attach: one container at a time");
    return podman.attached(["start", "--attach", ...(values.interactive === true ? ["--interactive"] : []), "--", ids[0]]);
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
    return { ledger: reconcile(withoutContainers(ledger, new Set(ids)), podman.containers(), ctx.now()), result: removed };
  });
  process.stdout.write(out);
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
