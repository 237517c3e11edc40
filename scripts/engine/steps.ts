/**
 * One resource through a provider host in the order `pulumi up` (with `refresh: always`) calls it: Read the
 * stored state back (refresh; the stored `__provider` runs), Check the new inputs, Diff the refreshed state
 * against them, then Create, Update, or a replacement (create the new one, then delete the old one, unless
 * `deleteBeforeReplace`; the engine postpones such deletes to the end of the whole run, which matters for
 * commands, not for a ManagedFile, whose delete leaves the host alone). What a lab runner needs to apply a
 * dynamic resource as the engine would; it keeps `props` as its state for the next run.
 */
import type { Props, ProviderHost } from "./providerHost";

export type EngineStep = "create" | "same" | "update" | "replace";

/** What the last run stored for a resource: its id and the provider's properties (with `__provider`). */
export interface StoredResource {
  readonly id: string;
  readonly props: Props;
}

export interface StepResult extends StoredResource {
  readonly step: EngineStep;
  /** What Diff named as changed or replacing (empty for create and same). */
  readonly replaces: readonly string[];
}

/** Applies `news` (the program's inputs, `__provider` included) to the resource `urn`, stored as `stored` if it exists. */
export async function applyResource(host: ProviderHost, urn: string, stored: StoredResource | undefined, news: Props): Promise<StepResult> {
  if (stored === undefined) {
    const { inputs } = await checked(host, urn, {}, news);
    const created = await host.create(urn, inputs);
    return { step: "create", id: created.id, props: created.props, replaces: [] };
  }
  const refreshed = await host.read(stored.id, urn, stored.props);
  const { inputs } = await checked(host, urn, refreshed.props, news);
  const diff = await host.diff(refreshed.id, urn, refreshed.props, inputs);
  if (diff.changes === "none") return { step: "same", id: refreshed.id, props: refreshed.props, replaces: [] };
  if (diff.replaces.length === 0) {
    const updated = await host.update(refreshed.id, urn, refreshed.props, inputs);
    return { step: "update", id: refreshed.id, props: updated.props, replaces: [] };
  }
  if (diff.deleteBeforeReplace) await host.delete(refreshed.id, urn, refreshed.props);
  const created = await host.create(urn, inputs);
  if (!diff.deleteBeforeReplace) await host.delete(refreshed.id, urn, refreshed.props);
  return { step: "replace", id: created.id, props: created.props, replaces: diff.replaces };
}

async function checked(host: ProviderHost, urn: string, olds: Props, news: Props): Promise<{ readonly inputs: Props }> {
  const result = await host.check(urn, olds, news);
  if (result.failures.length > 0) throw new Error(`Check of ${urn} failed: ${result.failures.join("; ")}`);
  return result;
}
