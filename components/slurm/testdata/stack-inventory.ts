/**
 * Test support: the inventory of a shipped stack file (`stacks/Pulumi.<stack>.yaml`), parsed with the
 * shared schema directly (keys with their `ie:` prefix stripped). `file:` host keys, which point at keys
 * the lab writes when it boots, are replaced by a fixed key so the test needs no lab.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { Inventory } from "../../inventory/model";
import { inventorySchema } from "../../inventory/schema";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const DUMMY_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEM98BUdAYvt2uMJAb58fmT4lz4bKs7vmO9ijfOORkZJ";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stackInventory(stack: string): Inventory {
  const file = join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
  const doc: unknown = parse(readFileSync(file, "utf8"));
  if (!isRecord(doc) || !isRecord(doc.config)) throw new Error(`${file}: no config: mapping`);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config)) {
    if (key.startsWith("ie:")) raw[key.slice("ie:".length)] = value;
  }
  if (Array.isArray(raw.hosts)) {
    raw.hosts = raw.hosts.map((host: unknown) =>
      isRecord(host) && typeof host.hostKey === "string" && host.hostKey.startsWith("file:")
        ? { ...host, hostKey: DUMMY_HOST_KEY }
        : host,
    );
  }
  return inventorySchema.parse(raw);
}
