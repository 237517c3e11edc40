/**
 * Which containers a caller may see and touch, and which ones the reaper removes. Pure: the CLI hands in
 * what `podman ps --all --format json` printed. Ownership is the label ie-podman set at `run` time
 * (`ie-podman.owner=<uid>`), compared with the real uid sudo reports, never with anything the user typed.
 */
import { OWNER_LABEL } from "./policy";

/** The fields of `podman ps --all --format json` that ie-podman reads. */
export interface PodmanContainer {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly State: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  /** Unix seconds; 0 while it never exited. */
  readonly ExitedAt?: number;
  readonly Exited?: boolean;
}

export function ownerOf(c: PodmanContainer): number | undefined {
  const label = c.Labels?.[OWNER_LABEL];
  return label !== undefined && /^\d+$/.test(label) ? Number(label) : undefined;
}

/** The caller's containers only; containers without ie-podman's label belong to nobody here. */
export function ownContainers(all: readonly PodmanContainer[], uid: number): PodmanContainer[] {
  return all.filter((c) => ownerOf(c) === uid);
}

/**
 * The caller's container that `ref` names (full id, unique id prefix of 12+ characters, or name). A
 * container of someone else is reported exactly like one that does not exist: its existence is not the
 * caller's business either.
 */
export function resolveOwn(all: readonly PodmanContainer[], uid: number, ref: string): PodmanContainer {
  const mine = ownContainers(all, uid);
  const byName = mine.filter((c) => c.Names.includes(ref));
  const byId = ref.length >= 12 && /^[0-9a-f]+$/.test(ref) ? mine.filter((c) => c.Id.startsWith(ref)) : [];
  const found = [...new Set([...byName, ...byId])];
  if (found.length !== 1) throw new Error(`no container of yours is called '${ref}' (ie-podman ps lists yours)`);
  return found[0];
}

/** `3d 4h`, `5h 12m`, `40s`: how long, as `ie-podman ps` shows it. */
export function humanDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${Math.floor(seconds)}s`;
}
