/**
 * VM rental and container rules: addresses inside their own networks and nowhere else, rentals that fit on
 * their VM host and stay off draining hosts, VM disks on an RBD pool.
 */
import { error, warning, type Diagnostic } from "./diagnostics";
import { isDraining, resolveRental, type ContainersSpec, type Inventory, type VmsSpec } from "./model";
import { firstHostAddress, isNetworkOrBroadcast, networkContains, networksOverlap, parseNetwork } from "./net";
import type { Role } from "./schema";
import { checkFairShare } from "./semantic-fairshare";
import { formatBytes, hasRole, indexedHostsWithRole, listNames, repeats } from "./semantic-util";

/** Hosts with `role` when the stack lacks the section that configures it. */
function roleWithoutSection(inv: Inventory, role: Role, section: string): Diagnostic[] {
  return indexedHostsWithRole(inv, role).map(({ host, index }) =>
    error(
      ["hosts", index, "roles"],
      `${host.name} has the ${role} role but the stack has no ie:${section} section: add one or remove the role`,
    ),
  );
}

export function checkVms(inv: Inventory): Diagnostic[] {
  const vms = inv.vms;
  if (!vms) return roleWithoutSection(inv, "vm-host", "vms");
  const out: Diagnostic[] = [];
  if (indexedHostsWithRole(inv, "vm-host").length === 0) {
    out.push(error(["vms"], "no host has the vm-host role: give it to the hosts that run rental VMs"));
  }
  if (networksOverlap(vms.network, inv.site.hostNetwork)) {
    out.push(
      error(
        ["vms", "network"],
        `${vms.network} overlaps the host network ${inv.site.hostNetwork}: give the VMs a network of their own`,
      ),
    );
  }
  if (vms.gateway !== undefined) {
    if (!networkContains(vms.network, vms.gateway)) {
      out.push(
        error(
          ["vms", "gateway"],
          `gateway ${vms.gateway} is outside vms.network ${vms.network}: VMs reach their gateway directly`,
        ),
      );
    } else if (isNetworkOrBroadcast(vms.network, vms.gateway)) {
      out.push(
        error(
          ["vms", "gateway"],
          `${vms.gateway} is the network or broadcast address of ${vms.network}: pick a host address`,
        ),
      );
    }
  }
  out.push(...checkVmPool(inv, vms), ...checkRentals(inv, vms), ...checkCapacity(inv, vms));
  return out;
}

function checkVmPool(inv: Inventory, vms: VmsSpec): Diagnostic[] {
  const path = ["vms", "pool"];
  const fix = `add { name: ${vms.pool}, application: rbd } to ceph.pools`;
  if (!inv.ceph)
    return [error(path, `VM disks live on Ceph RBD but the stack has no ie:ceph section: add one and ${fix}`)];
  const pool = inv.ceph.pools.find((p) => p.name === vms.pool);
  if (!pool) return [error(path, `no pool named '${vms.pool}' in ceph.pools: ${fix}`)];
  if (pool.application !== "rbd") {
    return [error(path, `pool ${vms.pool} has application ${pool.application}: VM disks need an rbd pool`)];
  }
  return [];
}

function checkRentals(inv: Inventory, vms: VmsSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const rentals = vms.rentals;
  const gateway = vms.gateway ?? firstHostAddress(vms.network);
  for (const r of repeats(rentals, (v) => v.name)) {
    out.push(
      error(
        ["vms", "rentals", r.index, "name"],
        `rental '${r.value}' is already declared at vms.rentals[${r.firstIndex}]: rental names must be unique`,
      ),
    );
  }
  for (const r of repeats(rentals, (v) => v.ip)) {
    out.push(
      error(
        ["vms", "rentals", r.index, "ip"],
        `${r.value} is already the address of ${rentals[r.firstIndex].name}: give each rental its own address`,
      ),
    );
  }
  rentals.forEach((rental, k) => {
    const path = ["vms", "rentals", k];
    if (!networkContains(vms.network, rental.ip)) {
      out.push(error([...path, "ip"], `${rental.ip} is outside vms.network ${vms.network}: pick an address inside it`));
    } else if (isNetworkOrBroadcast(vms.network, rental.ip)) {
      out.push(
        error(
          [...path, "ip"],
          `${rental.ip} is the network or broadcast address of ${vms.network}: pick a host address`,
        ),
      );
    } else if (rental.ip === gateway) {
      out.push(error([...path, "ip"], `${rental.ip} is the gateway of ${vms.network}: pick another address`));
    }
    const host = inv.hosts.find((h) => h.name === rental.host);
    if (!host) {
      out.push(
        error([...path, "host"], `no host is named '${rental.host}': a rental runs on a host with the vm-host role`),
      );
    } else if (!hasRole(host, "vm-host")) {
      out.push(
        error([...path, "host"], `${rental.host} does not have the vm-host role: pick a VM host or add the role`),
      );
    } else if (isDraining(host)) {
      // A draining host takes no new work and is then removed: its VMs would go with it.
      out.push(
        error(
          [...path, "host"],
          `${rental.name} runs on ${host.name}, which drains: move it first by setting its host to another vm-host`,
        ),
      );
    }
  });
  return out;
}

const MOVE_RENTALS = "move rentals to another vm-host or make them smaller";

/** The rental that makes a VM host's total exceed its cpus or memory is reported, with the totals. */
function checkCapacity(inv: Inventory, vms: VmsSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { host } of indexedHostsWithRole(inv, "vm-host")) {
    let vcpus = 0;
    let memory = 0;
    let cpuReported = false;
    let memoryReported = false;
    const onHost = vms.rentals.flatMap((r, k) => (r.host === host.name ? [{ rental: resolveRental(vms, r), k }] : []));
    const names = listNames(onHost.map((r) => r.rental.name));
    for (const { rental, k } of onHost) {
      vcpus += rental.vcpus;
      memory += rental.memory;
      if (!cpuReported && vcpus > host.cpus) {
        cpuReported = true;
        const total = onHost.reduce((sum, r) => sum + r.rental.vcpus, 0);
        out.push(
          error(
            ["vms", "rentals", k, "host"],
            `rentals on ${host.name} (${names}) need ${total} vCPUs but it has ${host.cpus} cpus: ${MOVE_RENTALS}`,
          ),
        );
      }
      if (!memoryReported && memory > host.memory) {
        memoryReported = true;
        const total = onHost.reduce((sum, r) => sum + r.rental.memory, 0);
        out.push(
          error(
            ["vms", "rentals", k, "host"],
            `rentals on ${host.name} (${names}) need ${formatBytes(total)} of memory ` +
              `but it has ${formatBytes(host.memory)}: ${MOVE_RENTALS}`,
          ),
        );
      }
    }
  }
  return out;
}

export function checkContainers(inv: Inventory): Diagnostic[] {
  const containers = inv.containers;
  if (!containers) return roleWithoutSection(inv, "container-host", "containers");
  const out: Diagnostic[] = [];
  if (indexedHostsWithRole(inv, "container-host").length === 0) {
    out.push(warning(["containers"], "no host has the container-host role: the containers section configures nothing"));
  }
  out.push(...checkIpPool(inv, containers));
  out.push(...checkApptainerSource(inv, containers));
  out.push(...checkFairShare(inv, containers));
  return out;
}

/** Operating systems whose own archive has an apptainer package (none of the supported ones yet). */
export const OS_WITH_APPTAINER: ReadonlySet<string> = new Set<string>();

function checkApptainerSource(inv: Inventory, containers: ContainersSpec): Diagnostic[] {
  if (containers.apptainerSource !== undefined) return [];
  const without = indexedHostsWithRole(inv, "container-host").filter(({ host }) => !OS_WITH_APPTAINER.has(host.os));
  if (without.length === 0) return [];
  const names = listNames(without.map(({ host }) => `${host.name} (${host.os})`));
  return [
    error(
      ["containers"],
      `${names} ${without.length === 1 ? "has" : "have"} no apptainer package in the OS archive: set containers.apptainerSource to an apt line (e.g. 'deb http://deb.debian.org/debian sid main', pinned to apptainer alone) or a .deb URL`,
    ),
  ];
}

function checkIpPool(inv: Inventory, containers: ContainersSpec): Diagnostic[] {
  const path = ["containers", "ipPool"];
  const pool = containers.ipPool;
  const out: Diagnostic[] = [];
  if (parseNetwork(pool).prefix > 30) {
    out.push(
      error(
        path,
        `${pool} is too small: a container network needs a gateway and addresses for containers; use /30 or larger`,
      ),
    );
  }
  const others: [string, string | undefined][] = [
    ["site.hostNetwork", inv.site.hostNetwork],
    ["vms.network", inv.vms?.network],
    ["ceph.publicNetwork", inv.ceph?.publicNetwork],
  ];
  let overlapsHosts = false;
  for (const [name, network] of others) {
    if (network !== undefined && networksOverlap(pool, network)) {
      overlapsHosts ||= name === "site.hostNetwork";
      out.push(
        error(
          path,
          `${pool} overlaps ${name} ${network}: containers would take addresses of that network; pick a pool apart from it`,
        ),
      );
    }
  }
  const inside = inv.hosts.filter((h) => networkContains(pool, h.address));
  if (!overlapsHosts && inside.length > 0) {
    out.push(
      error(
        path,
        `${pool} contains the address of ${listNames(inside.map((h) => `${h.name} (${h.address})`))}: pick a pool without host addresses`,
      ),
    );
  }
  return out;
}
