/**
 * Where `npm run drift` finds values generated at apply time (the munge key, Ceph's keyrings: RandomBytes
 * outputs): a state behind one interface. Two kinds: a `pulumi stack export --show-secrets` file (production),
 * or the lab runner's state file (its JSON format is read here, so drift does not depend on the lab's code).
 */
import { readFileSync } from "node:fs";

/** Outputs of a resource of the last apply, by type and name; undefined when the state has none. */
export interface StateSource {
  /** What the state is, for messages: `pulumi export FILE` or `lab state FILE`. */
  readonly description: string;
  outputsOf(type: string, name: string): Readonly<Record<string, unknown>> | undefined;
}

/** The marker Pulumi puts on a secret value in a checkpoint or export. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface ExportedResource {
  readonly urn: string;
  readonly type: string;
  readonly outputs?: Record<string, unknown>;
}

/** A secret of an export: plain with --show-secrets (`plaintext` JSON text); encrypted without, which we refuse. */
function revealSecrets(value: unknown, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => revealSecrets(v, file));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (SECRET_SIG in record) {
    if (typeof record.plaintext === "string") return revealSecrets(JSON.parse(record.plaintext) as unknown, file);
    throw new Error(`${file} holds encrypted secrets: export it with 'pulumi stack export --show-secrets --file ${file}'`);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v, file)]));
}

/** A `pulumi stack export --show-secrets` document. The resource's name is the last `::` part of its URN. */
export function pulumiExportSource(doc: { deployment?: { resources?: readonly ExportedResource[] } }, file: string): StateSource {
  const byKey = new Map<string, ExportedResource>();
  for (const r of doc.deployment?.resources ?? []) byKey.set(`${r.type}::${r.urn.split("::").pop() ?? ""}`, r);
  return {
    description: `pulumi export ${file}`,
    outputsOf: (type, name) => {
      const found = byKey.get(`${type}::${name}`);
      return found?.outputs === undefined ? undefined : (revealSecrets(found.outputs, file) as Record<string, unknown>);
    },
  };
}

/** The lab runner's state: `{version: 1, resources: {"TYPE::NAME": {outputs}}}`. */
export function labStateSource(doc: { resources?: Record<string, { outputs?: Record<string, unknown> }> }, file: string): StateSource {
  return { description: `lab state ${file}`, outputsOf: (type, name) => doc.resources?.[`${type}::${name}`]?.outputs };
}

/** Reads a state file of either kind, told apart by its shape. */
export function loadStateSource(file: string): StateSource {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the state ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc !== null && typeof doc === "object" && "deployment" in doc) return pulumiExportSource(doc as Parameters<typeof pulumiExportSource>[0], file);
  if (doc !== null && typeof doc === "object" && (doc as { version?: unknown }).version === 1 && "resources" in doc) {
    return labStateSource(doc as Parameters<typeof labStateSource>[0], file);
  }
  throw new Error(`${file} is neither a 'pulumi stack export --show-secrets' file nor a lab state`);
}
