/**
 * The ledger on disk: read, changed and written back under a file lock, so concurrent ie-podman runs never
 * hand out the same address or GPU. Written atomically (a new file renamed over the old one), so a reader
 * without the lock (ps) sees the old or the new ledger, never half of one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as lockfile from "proper-lockfile";
// zod/mini: the same checks with a tree-shakable API; the full zod was most of the bundle node loads on every call.
import * as z from "zod/mini";
import "./zod-messages";
import { EMPTY_LEDGER, type Ledger } from "./leases";

const ledgerSchema = z.strictObject({
  version: z.literal(1),
  leases: z.array(
    z.strictObject({
      container: z.string().check(z.minLength(1)),
      uid: z.int().check(z.minimum(0)),
      ip: z.optional(z.string()),
      gpus: z.array(z.int().check(z.minimum(0))),
      since: z.string(),
      stoppedAt: z.optional(z.number()),
      job: z.optional(z.string().check(z.regex(/^[1-9][0-9]{0,9}$/))),
      ended: z.optional(z.string()),
    }),
  ),
});

/** The ledger as it is on disk (empty when there is none yet). */
export function readLedger(file: string): Ledger {
  if (!existsSync(file)) return EMPTY_LEDGER;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message}); an admin must repair or remove it`);
  }
  const parsed = ledgerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join(".")}: ${issue.message}; an admin must repair or remove it`);
  }
  return parsed.data;
}

function writeLedger(file: string, ledger: Ledger): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ledger, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * Runs `change` with the ledger under the lock and writes back the ledger it returns. The lock is a
 * directory next to the ledger (proper-lockfile): a crashed holder's lock goes stale after 20 s.
 */
export async function withLedger<T>(file: string, change: (ledger: Ledger) => { ledger: Ledger; result: T }): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const release = await lockfile.lock(file, {
    realpath: false,
    stale: 20_000,
    update: 5_000,
    retries: { retries: 1200, factor: 1, minTimeout: 25, maxTimeout: 100 },
  });
  try {
    const { ledger, result } = change(readLedger(file));
    writeLedger(file, ledger);
    return result;
  } finally {
    await release();
  }
}
