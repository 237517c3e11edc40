/**
 * `ie-podman run`: the policy checks the arguments, then, under the ledger's lock, ie-podman checks the
 * caller's caps, picks the address and GPUs, creates the container with its confinement and records the lease; the container is
 * started after the lock is released (attached, or detached with `-d`).
 */
import { capsFor } from "../config";
import { type VerbContext, policyContext, presentDevices, userOf } from "../context";
import { freeAddress, freeGpus, reconcile, withLease, withoutContainers } from "../leases";
import { checkCaps } from "../limits";
import { parseRun, podmanCreateArgs } from "../policy";
import { podman } from "../podman";
import { withLedger } from "../store";

/** Podman's own NAT network, for containers that did not ask for an address of the pool. */
export const DEFAULT_NETWORK = "podman";

export async function run(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { config } = ctx;
  const request = parseRun(argv, policyContext(caller, config));
  const { caps, source } = capsFor(config, caller.uid);
  ctx.allowed(`image ${request.image}${request.ip ? ", an address" : ""}${request.gpus > 0 ? `, ${request.gpus} GPU(s)` : ""}`);
  const created = await withLedger(config.ledger, (current) => {
    const ledger = reconcile(current, podman.containers(), ctx.now());
    // Under the lock: parallel runs of one user cannot all slip under a cap.
    checkCaps(ledger, caller.uid, request, caps, source);
    const ip = request.ip ? freeAddress(ledger, config.pool) : undefined;
    const gpus = request.gpus > 0 ? freeGpus(ledger, config.gpus, request.gpus) : [];
    const args = podmanCreateArgs(request, caller, {
      network: ip !== undefined ? config.network : DEFAULT_NETWORK,
      ip,
      gpus,
      devicePrefix: config.devicePrefix,
      sharedGpuDevices: presentDevices(config.sharedGpuDevices),
    });
    const id = podman.capture(args).stdout.trim();
    const lease = { container: id, uid: caller.uid, ...(ip !== undefined ? { ip } : {}), gpus, since: new Date(ctx.now() * 1000).toISOString() };
    return { ledger: withLease(ledger, lease), result: { id, ip, gpus } };
  });
  // What the user asked for, on stderr (stdout stays the container's, or the id with -d).
  const given = [...(created.ip !== undefined ? [`address ${created.ip}`] : []), ...(created.gpus.length > 0 ? [`GPU ${created.gpus.join(",")}`] : [])];
  if (given.length > 0) process.stderr.write(`ie-podman: ${created.id.slice(0, 12)}: ${given.join(", ")}\n`);
  if (request.detach) {
    try {
      podman.capture(["start", "--", created.id]);
    } catch (e) {
      // A run that failed leaves nothing behind: no container, no lease.
      await withLedger(config.ledger, (ledger) => {
        podman.capture(["rm", "--force", "--time=0", "--", created.id]);
        return { ledger: withoutContainers(ledger, new Set([created.id])), result: undefined };
      });
      throw e;
    }
    process.stdout.write(`${created.id}\n`);
    return 0;
  }
  return podman.attached(["start", "--attach", ...(request.interactive ? ["--interactive"] : []), "--", created.id]);
}
