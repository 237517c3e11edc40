/**
 * `ie-podman reap`: run by the reaper's systemd timer (root, not through sudo). Removes ie-podman's
 * containers stopped longer than the inventory's limit and frees their leases. Each removal is an audit line
 * under its owner's uid and name (`ie-podman ps` told them beforehand: "removed in ...").
 */
import { spawnSync } from "node:child_process";
import { verbArgs } from "../args";
import { parsePasswdLine } from "../caller";
import { audit } from "../audit";
import { UsageError, type VerbContext } from "../context";
import { leasesToReap, reconcile, withoutContainers } from "../leases";
import { humanDuration } from "../ownership";
import { podman } from "../podman";
import { withLedger } from "../store";

/** The user name of `uid` (getent), or `uid N` when the passwd database does not know it. */
function userName(uid: number): string {
  const r = spawnSync("getent", ["passwd", "--", String(uid)], { encoding: "utf8" });
  return (r.status === 0 ? parsePasswdLine(r.stdout)?.name : undefined) ?? `uid ${uid}`;
}

export async function reap(argv: readonly string[], ctx: VerbContext): Promise<number> {
  if (ctx.caller !== undefined) throw new UsageError("ie-podman reap is the reaper's (root's timer): users remove their own containers with ie-podman rm");
  const { values, positionals } = verbArgs("reap", argv, { "dry-run": { type: "boolean" } });
  if (positionals.length > 0) throw new UsageError(`ie-podman reap takes no arguments, got '${positionals[0]}'`);
  const dryRun = values["dry-run"] === true;
  const now = ctx.now();
  ctx.allowed(`reap containers stopped for more than ${humanDuration(ctx.config.reapAfterSeconds)}${dryRun ? " (dry run)" : ""}`);
  const reaped = await withLedger(ctx.config.ledger, (current) => {
    const ledger = reconcile(current, podman.containers(), now);
    const victims = leasesToReap(ledger, now, ctx.config.reapAfterSeconds);
    if (dryRun || victims.length === 0) return { ledger, result: victims };
    podman.capture(["rm", "--force", "--", ...victims.map((l) => l.container)]);
    return { ledger: withoutContainers(ledger, new Set(victims.map((l) => l.container))), result: victims };
  });
  for (const lease of reaped) {
    const line = `${dryRun ? "would remove" : "removed"} ${lease.container.slice(0, 12)} (uid ${lease.uid}, stopped for ${humanDuration(now - (lease.stoppedAt ?? now))})`;
    process.stdout.write(`${line}\n`);
    // In the owner's audit trail (their uid, as the drain does): the user's history shows where it went.
    if (!dryRun) audit(ctx.config.auditLog, { uid: lease.uid, user: userName(lease.uid), verb: "reap", args: [lease.container], decision: "done", detail: line });
  }
  if (reaped.length === 0) process.stdout.write("nothing to reap\n");
  return 0;
}
