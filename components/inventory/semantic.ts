/**
 * Cross-field rules of a stack definition, on a shape-valid inventory: names and addresses unique, Ceph quorum
 * and capacity, Slurm placement, VM capacity, networks that do not overlap, ports that do not clash, drains that
 * leave enough serving behind. Pure: it returns every problem at once without positions; the loader adds file and
 * line.
 */
import { error, warning, type Diagnostic, type FieldPath } from "./diagnostics";
import { checkGpuMode } from "./gpu-mode";
import { isDraining, type Inventory } from "./model";
import { hasHostBits, isNetworkOrBroadcast, networkContains, parseNetwork } from "./net";
import { checkCeph } from "./semantic-ceph";
import { checkUserCaps } from "./semantic-fairshare";
import { checkPorts } from "./semantic-ports";
import { checkSlurm } from "./semantic-slurm";
import { hasRole, repeats } from "./semantic-util";
import { checkContainers, checkVms } from "./semantic-vms";

/** Operating systems the lab runs every role on (`stacks/Pulumi.lab.yaml`); the others are untested. */
export const LAB_PROVEN_OS: ReadonlySet<string> = new Set(["debian-13"]);

/**
 * Whether the admin wrote a field (inventory path, as in diagnostics). Some fields read the same whether written
 * or defaulted (`drainTimeout` is 1h either way); the loader answers from the stack's own data.
 */
export type WrittenField = (path: FieldPath) => boolean;

/** Whether `path` is present in `raw`, the inventory data before the schema applied its defaults. */
export function writtenIn(raw: unknown): WrittenField {
  return (path) => {
    let node: unknown = raw;
    for (const step of path) {
      if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, step)) return false;
      node = (node as Record<string | number, unknown>)[step];
    }
    return node !== undefined;
  };
}

export function checkInventory(inv: Inventory, written: WrittenField): Diagnostic[] {
  return [
    ...checkNetworks(inv),
    ...checkHosts(inv, written),
    ...checkUsers(inv),
    ...checkCeph(inv),
    ...checkSlurm(inv),
    ...checkVms(inv),
    ...checkContainers(inv),
    ...checkGpuMode(inv),
    ...checkUserCaps(inv),
    ...checkPorts(inv),
  ];
}

/** Networks written with host bits set (`10.20.0.5/22`) are read differently by Ceph, libvirt and Podman. */
function checkNetworks(inv: Inventory): Diagnostic[] {
  const networks: [readonly (string | number)[], string | undefined][] = [
    [["site", "hostNetwork"], inv.site.hostNetwork],
    [["ceph", "publicNetwork"], inv.ceph?.publicNetwork],
    [["vms", "network"], inv.vms?.network],
    [["containers", "ipPool"], inv.containers?.ipPool],
  ];
  return networks.flatMap(([path, cidr]) => {
    if (cidr === undefined || !hasHostBits(cidr)) return [];
    const net = parseNetwork(cidr);
    return [error(path, `${cidr} has host bits set: write the network address ${net.network}/${net.prefix}`)];
  });
}

function checkHosts(inv: Inventory, written: WrittenField): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hostNetwork = inv.site.hostNetwork;
  for (const r of repeats(inv.hosts, (h) => h.name)) {
    out.push(
      error(
        ["hosts", r.index, "name"],
        `host name '${r.value}' is already used by hosts[${r.firstIndex}]: host names must be unique`,
      ),
    );
  }
  for (const r of repeats(inv.hosts, (h) => h.address)) {
    out.push(
      error(
        ["hosts", r.index, "address"],
        `address ${r.value} is already used by hosts[${r.firstIndex}] (${inv.hosts[r.firstIndex].name}): each host needs its own address`,
      ),
    );
  }
  inv.hosts.forEach((host, i) => {
    if (!networkContains(hostNetwork, host.address)) {
      out.push(
        error(
          ["hosts", i, "address"],
          `${host.address} is outside the host network ${hostNetwork} (site.hostNetwork): fix the address or the network`,
        ),
      );
    } else if (isNetworkOrBroadcast(hostNetwork, host.address)) {
      out.push(
        error(
          ["hosts", i, "address"],
          `${host.address} is the network or broadcast address of ${hostNetwork}: pick a host address`,
        ),
      );
    }
    for (const r of repeats(host.roles, (role) => role)) {
      out.push(warning(["hosts", i, "roles", r.index], `role ${r.value} is listed twice: remove one`));
    }
    // The lab proves Debian 13 only: say so where a stack asks for another OS, rather than claim it works.
    if (!LAB_PROVEN_OS.has(host.os)) {
      out.push(
        warning(
          ["hosts", i, "os"],
          `${host.name} runs ${host.os}, which the lab does not prove (only ${[...LAB_PROVEN_OS].join(", ")}): its package names and versions are known, its roles were never run on it; try it on one server first`,
        ),
      );
    }
    // drainTimeout and force tell a drain how to end; without one they would silently do nothing.
    if (!isDraining(host)) {
      const stray = [
        ...(written(["hosts", i, "drainTimeout"]) ? ["drainTimeout"] : []),
        ...(host.force ? ["force"] : []),
      ];
      for (const field of stray) {
        out.push(
          error(
            ["hosts", i, field],
            `${field} of ${host.name} only means something with drain: true: set drain: true to empty ${host.name}, or remove ${field}`,
          ),
        );
      }
    }
    // GPUs are used by Slurm jobs (slurm-compute) and by `ie-podman run --gpu` (container-host); elsewhere
    // nothing would ever hand them out.
    if (host.gpus && !hasRole(host, "slurm-compute") && !hasRole(host, "container-host")) {
      out.push(
        warning(
          ["hosts", i, "gpus"],
          `${host.name} has GPUs but neither the slurm-compute nor the container-host role: no job or container can use them`,
        ),
      );
    }
  });
  return out;
}

function checkUsers(inv: Inventory): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of repeats(inv.users, (u) => u.name)) {
    out.push(
      error(
        ["users", r.index, "name"],
        `user '${r.value}' is already declared at users[${r.firstIndex}]: user names must be unique`,
      ),
    );
  }
  for (const r of repeats(inv.users, (u) => u.uid)) {
    out.push(
      error(
        ["users", r.index, "uid"],
        `uid ${r.value} is already used by ${inv.users[r.firstIndex].name} (users[${r.firstIndex}]): give each user their own uid`,
      ),
    );
  }
  return out;
}
