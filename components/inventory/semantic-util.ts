/** Small helpers shared by the semantic checks. */
import type { Role } from "./schema";
import type { HostSpec, Inventory } from "./model";

/** A repeated value: `index` repeats what `firstIndex` already had. */
export interface Repeat<V> {
  readonly index: number;
  readonly firstIndex: number;
  readonly value: V;
}

/** Every item whose key an earlier item already had, in order. */
export function repeats<T, V>(items: readonly T[], key: (item: T) => V): Repeat<V>[] {
  const seen = new Map<V, number>();
  const out: Repeat<V>[] = [];
  items.forEach((item, index) => {
    const value = key(item);
    const firstIndex = seen.get(value);
    if (firstIndex === undefined) seen.set(value, index);
    else out.push({ index, firstIndex, value });
  });
  return out;
}

/** Hosts carrying a role, with their index in `hosts` (diagnostics point at them by index). */
export function indexedHostsWithRole(
  inv: Inventory,
  role: Role,
): { readonly host: HostSpec; readonly index: number }[] {
  return inv.hosts.flatMap((host, index) => (host.roles.includes(role) ? [{ host, index }] : []));
}

export function hasRole(host: HostSpec, role: Role): boolean {
  return host.roles.includes(role);
}

/** `a, b and c`. */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** `1 host`, `3 hosts`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A byte count the way admins wrote it: `1.5GiB`, `512MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number(value.toFixed(2))}${units[unit]}`;
}

/** A duration in the largest unit that divides it: `90m`, `2h`, `7d`. */
export function formatSeconds(seconds: number): string {
  const units: [string, number][] = [
    ["w", 604_800],
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ];
  for (const [unit, size] of units) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
