/**
 * `ie-podman reap`: run by the reaper's systemd timer (root, not through sudo). Removes ie-podman's
 * containers stopped longer than the inventory's limit and frees their leases (and ends a Slurm allocation one
 * still holds). Each removal is an audit line under its owner's uid and name (`ie-podman ps` told them
 * beforehand: "removed in ..."). Then every owner's status file is refreshed (status.ts): the login message
 * shows what the reaper will take next.
 */
import { verbArgs } from "../args";
import { audit } from "../audit";
import { UsageError, type VerbContext } from "../context";
import { holdsAllocation, leasesToReap, reconcile, withoutContainers } from "../leases";
import { humanDuration } from "../ownership";
import { passwdOf, userName } from "../passwd";
import { podman } from "../podman";
import { OWNER_LABEL } from "../policy";
import { STATUS_DIR, statusText, statusUids, writeStatus } from "../status";
import { readLedger, withLedger } from "../store";
import { psRows } from "./ps";
import { endAllocations, withEnded } from "./sync";

export async function reap(argv: readonly string[], ctx: VerbContext): Promise<number> {
  if (ctx.caller !== undefined) throw new UsageError("ie-podman reap is the reaper's (root's timer): users remove their own containers with ie-podman rm");
  const { values, positionals } = verbArgs("reap", argv, { "dry-run": { type: "boolean" } });
  if (positionals.length > 0) throw new UsageError(`ie-podman reap takes no arguments, got '${positionals[0]}'`);
  const dryRun = values["dry-run"] === true;
  const now = ctx.now();
  ctx.allowed(`reap containers stopped for more than ${humanDuration(ctx.config.reapAfterSeconds)}${dryRun ? " (dry run)" : ""}`);
  const reaped = await withLedger(ctx.config.ledger, (current) => {
    const containers = podman.containers();
    const ledger = reconcile(current, containers, now);
    const victims = leasesToReap(ledger, now, ctx.config.reapAfterSeconds);
    if (dryRun || victims.length === 0) return { ledger, result: victims };
    // A lease kept for its allocation may have no container left to remove.
    const present = victims.filter((l) => containers.some((c) => c.Id === l.container)).map((l) => l.container);
    if (present.length > 0) podman.capture(["rm", "--force", "--", ...present]);
    // Sync ended their allocations when they stopped; this is the backstop. A lease whose scancel failed stays for sync.
    const { ended, failures } = endAllocations(ctx.slurm, victims, "the reaper removed the container");
    for (const failure of failures) process.stderr.write(`ie-podman reap: ${failure}\n`);
    const gone = victims.filter((l) => !holdsAllocation(l) || ended.has(l.container)).map((l) => l.container);
    return { ledger: withoutContainers(withEnded(ledger, ended), new Set(gone)), result: victims };
  });
  for (const lease of reaped) {
    const line = `${dryRun ? "would remove" : "removed"} ${lease.container.slice(0, 12)} (uid ${lease.uid}, stopped for ${humanDuration(now - (lease.stoppedAt ?? now))})`;
    process.stdout.write(`${line}\n`);
    // In the owner's audit trail (their uid, as the drain does): the user's history shows where it went.
    if (!dryRun) audit(ctx.config.auditLog, { uid: lease.uid, user: userName(lease.uid), verb: "reap", args: [lease.container], decision: "done", detail: line });
  }
  if (reaped.length === 0) process.stdout.write("nothing to reap\n");
  if (!dryRun) refreshStatus(ctx, now);
  return 0;
}

/**
 * Every owner's status file (the login message's source) brought up to date: owners of containers and owners
 * of an existing file (whose containers may all be gone). A file that cannot be written is skipped.
 */
function refreshStatus(ctx: VerbContext, now: number): void {
  const containers = podman.containers();
  const leases = readLedger(ctx.config.ledger).leases;
  const owners = new Set([...containers.flatMap((c) => (/^\d+$/.test(c.Labels?.[OWNER_LABEL] ?? "") ? [Number(c.Labels?.[OWNER_LABEL])] : [])), ...statusUids(STATUS_DIR)]);
  for (const uid of owners) {
    const gid = passwdOf(uid)?.gid;
    if (gid === undefined) continue;
    try {
      writeStatus(STATUS_DIR, uid, gid, statusText(psRows(containers, leases, uid, now, true, ctx.config.reapAfterSeconds), uid, now));
    } catch {
      // Only the login message reads it.
    }
  }
}
