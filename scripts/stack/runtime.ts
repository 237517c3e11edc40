/**
 * How a stack file and its secrets look from inside a program run under the mock runtime: shared by the
 * stack tests' mocks, `npm run drift` and the lab runner, so all hand the program exactly what `pulumi up` would.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

/**
 * The `ie:` keys of a stack file as the engine hands them to a program: JSON text per key. `override`
 * replaces whole keys (given without the `ie:` prefix).
 */
export function stackConfig(stackFileText: string, override: Readonly<Record<string, unknown>> = {}): Record<string, string> {
  const doc = parse(stackFileText) as { config?: Record<string, unknown> } | null;
  const values: Record<string, unknown> = { ...(doc?.config ?? {}) };
  for (const [key, value] of Object.entries(override)) values[`ie:${key}`] = value;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith("ie:") || value === undefined) continue;
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** Secrets reach mocks wrapped (a command's whole connection is one secret): unwrap them at any depth. */
export function unwrapSecrets(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** An alias as the runtime sends it to the monitor: a URN, or a spec (name, type, parent, ...). */
export interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string } | undefined;
}

/**
 * The former names a registration declares (its `aliases`): specs by their name, URNs by their name part.
 * The mock runtime hands the mocks no resource options; this reads them from the monitor's request.
 */
export function aliasNames(req: { getAliasesList(): AliasMessage[] }): string[] {
  return req.getAliasesList().flatMap((a) => {
    const name = a.getSpec()?.getName() || a.getUrn().split("::").pop();
    return name ? [name] : [];
  });
}
