/**
 * Port clashes between roles that share a host. Ceph OSDs, MDS and mgrs bind whatever is free in 6800-7300,
 * so a Slurm daemon whose port lies in that range fails with "Address already in use" whenever Ceph started
 * first (measured in the lab with slurmctld's default 6817). The fix is always on the side with a setting.
 */
import { error, formatFieldPath, type Diagnostic, type FieldPath } from "./diagnostics";
import type { HostSpec, Inventory } from "./model";
import { listNames } from "./semantic-util";

const CEPH_DYNAMIC = { lo: 6800, hi: 7300 } as const;

/** A port range a role binds on a host. */
interface PortUse {
  /** The role (or `sshd`) that binds it, as admins name it. */
  readonly role: string;
  readonly lo: number;
  readonly hi: number;
  /** Uses in one group share the range by design (Ceph daemons pick free ports among themselves). */
  readonly group: string;
  /** The setting that moves it; absent for fixed ports. */
  readonly setting?: FieldPath;
  readonly isDefault?: boolean;
}

function portUses(inv: Inventory, host: HostSpec, index: number): PortUse[] {
  const uses: PortUse[] = [
    { role: "sshd", lo: host.sshPort, hi: host.sshPort, group: "sshd", setting: ["hosts", index, "sshPort"] },
  ];
  for (const role of host.roles) {
    switch (role) {
      case "ceph-osd":
      case "ceph-mgr":
      case "ceph-mds":
        uses.push({ role, ...CEPH_DYNAMIC, group: "ceph" });
        break;
      case "ceph-mon":
        uses.push({ role, lo: 3300, hi: 3300, group: "ceph" }, { role, lo: 6789, hi: 6789, group: "ceph" });
        break;
      case "slurm-controller":
        if (inv.slurm) {
          const port = inv.slurm.controllerPort;
          uses.push({
            role,
            lo: port,
            hi: port,
            group: role,
            setting: ["slurm", "controllerPort"],
            isDefault: port === 6817,
          });
        }
        break;
      case "slurm-compute":
        if (inv.slurm) {
          const port = inv.slurm.nodePort;
          uses.push({
            role,
            lo: port,
            hi: port,
            group: role,
            setting: ["slurm", "nodePort"],
            isDefault: port === 6818,
          });
        }
        break;
      case "vm-host":
      case "container-host":
        break;
    }
  }
  return uses;
}

function ports(use: { readonly lo: number; readonly hi: number }): string {
  return use.lo === use.hi ? `port ${use.lo}` : `ports ${use.lo}-${use.hi}`;
}

/** Slurm settings are moved before sshd's port: changing how admins log in is the bigger change. */
function moverOf(a: PortUse, b: PortUse): [PortUse, PortUse] | undefined {
  const rank = (u: PortUse) => (u.setting === undefined ? 0 : u.role === "sshd" ? 1 : 2);
  if (rank(a) === 0 && rank(b) === 0) return undefined;
  return rank(a) >= rank(b) ? [a, b] : [b, a];
}

/** A free port to suggest: the old one moved up by 1000 (6817 -> 7817), then upward past anything in use. */
function suggestPort(from: number, taken: readonly PortUse[]): number {
  let candidate = from + 1000 <= 65535 ? from + 1000 : 1024;
  while (taken.some((u) => candidate >= u.lo && candidate <= u.hi) && candidate < 65535) candidate += 1;
  return candidate;
}

interface Clash {
  readonly mover: PortUse;
  readonly other: PortUse;
  readonly roles: Set<string>;
  readonly hosts: string[];
  readonly taken: PortUse[];
}

export function checkPorts(inv: Inventory): Diagnostic[] {
  const clashes = new Map<string, Clash>();
  inv.hosts.forEach((host, index) => {
    const uses = portUses(inv, host, index);
    uses.forEach((a, i) => {
      for (const b of uses.slice(i + 1)) {
        if (a.group === b.group || a.hi < b.lo || b.hi < a.lo) continue;
        const pair = moverOf(a, b);
        if (!pair) continue;
        const [mover, other] = pair;
        const key = `${formatFieldPath(mover.setting ?? [])}|${mover.lo}|${other.group}|${other.lo}-${other.hi}`;
        const clash = clashes.get(key) ?? { mover, other, roles: new Set<string>(), hosts: [], taken: [] };
        clash.roles.add(other.role);
        if (!clash.hosts.includes(host.name)) clash.hosts.push(host.name);
        clash.taken.push(...uses);
        clashes.set(key, clash);
      }
    });
  });
  return [...clashes.values()].map(({ mover, other, roles, hosts, taken }) => {
    const setting = formatFieldPath(mover.setting ?? []);
    const others = listNames([...roles]);
    const suggestion = suggestPort(mover.lo, taken);
    const fix =
      other.lo === other.hi
        ? `set ${setting} to another port, e.g. ${suggestion}`
        : `set ${setting} outside ${other.lo}-${other.hi}, e.g. ${suggestion}`;
    return error(
      mover.setting ?? [],
      `${mover.role} shares ${listNames(hosts)} with ${others}: ${mover.role} listens on port ${mover.lo}` +
        `${mover.isDefault ? ` (the default of ${setting})` : ""}, which ${others} ${roles.size === 1 ? "binds" : "bind"} ` +
        `too (${ports(other)}); ${fix}`,
    );
  });
}
