/**
 * Ceph rules: a mon quorum that can form, OSDs that can be created, pools whose replicas fit on the hosts
 * (Ceph's default CRUSH rule puts each replica on a different host). A draining host (the yearly refresh) still
 * runs its daemons until it is removed, but counts only for what it has: the quorum, the standby mgr and MDS and
 * the replicas must already fit on the hosts that keep serving.
 */
import { error, formatFieldPath, warning, type Diagnostic, type FieldPath } from "./diagnostics";
import { isDraining, servingHosts, type CephSpec, type HostSpec, type Inventory } from "./model";
import { networkContains } from "./net";
import type { Role } from "./schema";
import { count, hasRole, indexedHostsWithRole, listNames, repeats } from "./semantic-util";

const CEPH_ROLES: readonly Role[] = ["ceph-mon", "ceph-mgr", "ceph-osd", "ceph-mds"];

/** A pool as the checks see it: regular pools and the two CephFS pools alike. */
interface PoolEntry {
  readonly path: FieldPath;
  readonly name: string;
  readonly size: number;
  readonly minSize?: number;
  readonly deviceClass?: string;
}

export function checkCeph(inv: Inventory): Diagnostic[] {
  const ceph = inv.ceph;
  if (!ceph) return checkNoCeph(inv);
  return [...checkDaemons(inv, ceph), ...checkOsds(inv, ceph), ...checkPools(inv, ceph)];
}

function checkNoCeph(inv: Inventory): Diagnostic[] {
  const out: Diagnostic[] = [];
  inv.hosts.forEach((host, i) => {
    const roles = host.roles.filter((r) => CEPH_ROLES.includes(r));
    if (roles.length > 0) {
      out.push(
        error(
          ["hosts", i, "roles"],
          `${host.name} has Ceph roles (${roles.join(", ")}) but the stack has no ie:ceph section: add one or remove the roles`,
        ),
      );
    } else if (host.osds.length > 0) {
      out.push(
        error(
          ["hosts", i, "osds"],
          `${host.name} declares OSDs but the stack has no ie:ceph section: add one or remove the OSDs`,
        ),
      );
    }
  });
  return out;
}

function checkDaemons(inv: Inventory, ceph: CephSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const mons = indexedHostsWithRole(inv, "ceph-mon");
  const monNames = mons.map((m) => m.host.name);
  const drainingMons = mons.filter((m) => isDraining(m.host));
  if (drainingMons.length > 0) {
    out.push(...checkMonDrain(inv, drainingMons));
  } else if (mons.length === 0) {
    out.push(error(["ceph"], "no host has the ceph-mon role: give the ceph-mon role to 1, 3 or 5 hosts"));
  } else if (mons.length % 2 === 0) {
    const last = mons[mons.length - 1];
    out.push(
      error(
        ["hosts", last.index, "roles"],
        `${count(mons.length, "host")} carry ceph-mon (${listNames(monNames)}): mons need an odd number to keep a majority quorum; add or remove one`,
      ),
    );
  } else if (mons.length === 1) {
    out.push(
      warning(
        ["hosts", mons[0].index, "roles"],
        `a single ceph-mon (${monNames[0]}): no quorum redundancy, the cluster stops when it is down; use 3 mons in production`,
      ),
    );
  }
  if (ceph.publicNetwork) {
    for (const { host, index } of mons) {
      if (!networkContains(ceph.publicNetwork, host.address)) {
        out.push(
          error(
            ["hosts", index, "address"],
            `mon ${host.name} (${host.address}) is outside ceph.publicNetwork ${ceph.publicNetwork}: mons must be reachable on the public network`,
          ),
        );
      }
    }
  }
  if (indexedHostsWithRole(inv, "ceph-mgr").length === 0) {
    out.push(
      error(
        ["ceph"],
        "no host has the ceph-mgr role: without a manager Ceph never reports HEALTH_OK; add ceph-mgr to a mon host",
      ),
    );
  }
  out.push(...checkStandbyDrain(inv, "ceph-mgr", "mgr"));
  const mdsHosts = indexedHostsWithRole(inv, "ceph-mds");
  if (ceph.cephfs && mdsHosts.length === 0) {
    out.push(
      error(["ceph", "cephfs"], "CephFS needs a metadata server: give the ceph-mds role to a host (two for a standby)"),
    );
  }
  if (ceph.cephfs) out.push(...checkStandbyDrain(inv, "ceph-mds", "MDS"));
  if (!ceph.cephfs && mdsHosts.length > 0) {
    out.push(
      warning(
        ["hosts", mdsHosts[0].index, "roles"],
        `${mdsHosts[0].host.name} has the ceph-mds role but there is no ceph.cephfs: the MDS would serve nothing`,
      ),
    );
  }
  return out;
}

/**
 * A draining mon leaves the monmap: the mons that stay must still form an odd quorum of at least 3. The error is
 * on each draining mon's `drain`, since the drain is what breaks the quorum (the counts without drains are the
 * rules above).
 */
function checkMonDrain(inv: Inventory, draining: readonly { host: HostSpec; index: number }[]): Diagnostic[] {
  const serving = servingHosts(inv, "ceph-mon");
  if (serving.length >= 3 && serving.length % 2 === 1) return [];
  return draining.map(({ host, index }) =>
    error(
      ["hosts", index, "drain"],
      `${host.name}'s mon would leave ${count(serving.length, "serving mon")}: add the new mon first ` +
        "(a host with ceph-mon) so that an odd quorum of at least 3 remains",
    ),
  );
}

/** A draining mgr or MDS stops once a standby took over: another host must keep serving the role. */
function checkStandbyDrain(inv: Inventory, role: Role, daemon: string): Diagnostic[] {
  if (servingHosts(inv, role).length > 0) return [];
  return indexedHostsWithRole(inv, role)
    .filter(({ host }) => isDraining(host))
    .map(({ host, index }) =>
      error(
        ["hosts", index, "drain"],
        `${host.name} drains but no other host serves ${role}: add a standby ${daemon} first ` +
          `(the ${role} role on a host that stays)`,
      ),
    );
}

function checkOsds(inv: Inventory, ceph: CephSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  inv.hosts.forEach((host, i) => {
    if (hasRole(host, "ceph-osd") && host.osds.length === 0) {
      out.push(
        error(["hosts", i, "roles"], `${host.name} has the ceph-osd role but no osds: list its OSD devices under osds`),
      );
    }
    if (!hasRole(host, "ceph-osd") && host.osds.length > 0) {
      out.push(
        error(["hosts", i, "osds"], `${host.name} declares osds but not the ceph-osd role: add ceph-osd to its roles`),
      );
    }
    for (const r of repeats(host.osds, (o) => o.device)) {
      out.push(
        error(
          ["hosts", i, "osds", r.index, "device"],
          `${r.value} is already osds[${r.firstIndex}] of ${host.name}: one OSD per device`,
        ),
      );
    }
    host.osds.forEach((osd, j) => {
      const path = ["hosts", i, "osds", j];
      if (ceph.osdBackend === "file" && osd.size === undefined) {
        out.push(
          error(
            [...path, "size"],
            "with ceph.osdBackend: file every OSD needs a size for its backing file, e.g. size: 4GiB",
          ),
        );
      }
      if (ceph.osdBackend === "lvm" && !osd.device.startsWith("/dev/")) {
        out.push(
          error(
            [...path, "device"],
            `with ceph.osdBackend: lvm an OSD is a whole disk under /dev/, not ${osd.device} (set ceph.osdBackend: file for backing files)`,
          ),
        );
      }
      if (ceph.osdBackend === "lvm" && osd.size !== undefined) {
        out.push(
          warning([...path, "size"], "size is only used with ceph.osdBackend: file; an lvm OSD takes the whole disk"),
        );
      }
    });
  });
  return out;
}

function poolEntries(ceph: CephSpec): PoolEntry[] {
  const pools: PoolEntry[] = ceph.pools.map((p, k) => ({ ...p, path: ["ceph", "pools", k] }));
  if (ceph.cephfs) {
    pools.push({ ...ceph.cephfs.metadataPool, path: ["ceph", "cephfs", "metadataPool"] });
    pools.push({ ...ceph.cephfs.dataPool, path: ["ceph", "cephfs", "dataPool"] });
  }
  return pools;
}

/** Hosts that really get OSDs: the role and at least one device (of the class, when one is given). */
function osdHosts(inv: Inventory, deviceClass?: string): HostSpec[] {
  return inv.hosts.filter(
    (h) => hasRole(h, "ceph-osd") && h.osds.some((o) => deviceClass === undefined || o.class === deviceClass),
  );
}

function checkPools(inv: Inventory, ceph: CephSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const pools = poolEntries(ceph);
  for (const r of repeats(pools, (p) => p.name)) {
    const first = pools[r.firstIndex];
    out.push(
      error(
        [...pools[r.index].path, "name"],
        `pool name '${r.value}' is already used by ${formatFieldPath(first.path)}: pool names must be unique`,
      ),
    );
  }
  if (pools.length > 0 && osdHosts(inv).length === 0) {
    out.push(
      error(
        ceph.pools.length > 0 ? ["ceph", "pools"] : ["ceph", "cephfs"],
        "pools are declared but no host has OSDs: give hosts the ceph-osd role and osds",
      ),
    );
    return out;
  }
  for (const pool of pools) {
    const hosts = osdHosts(inv, pool.deviceClass);
    const ofClass = pool.deviceClass ? ` of class ${pool.deviceClass}` : "";
    if (pool.deviceClass && hosts.length === 0) {
      out.push(
        error(
          [...pool.path, "deviceClass"],
          `no OSD has class ${pool.deviceClass}: add one or choose a class the OSDs have`,
        ),
      );
      continue;
    }
    if (pool.size > hosts.length) {
      out.push(
        error(
          [...pool.path, "size"],
          `pool ${pool.name} keeps ${pool.size} replicas on different hosts but only ` +
            `${count(hosts.length, "host")} ${hosts.length === 1 ? "has" : "have"} OSDs${ofClass} ` +
            `(${listNames(hosts.map((h) => h.name))}): lower size or add OSD hosts`,
        ),
      );
    } else {
      out.push(...checkPoolDrain(inv, pool, hosts));
      if (pool.size === 1) {
        out.push(warning([...pool.path, "size"], `pool ${pool.name} keeps a single copy: a lost disk loses its data`));
      }
    }
    if (pool.minSize !== undefined && pool.minSize > pool.size) {
      out.push(
        error(
          [...pool.path, "minSize"],
          `minSize ${pool.minSize} is above size ${pool.size}: the pool would never serve I/O; make minSize at most size`,
        ),
      );
    }
  }
  return out;
}

/**
 * Draining hosts' OSDs go out: the pool's replicas must then fit on the OSD hosts that stay (`hosts` already has
 * enough for `size`). Each draining host that takes the count below `size` is told to wait for a new host.
 */
function checkPoolDrain(inv: Inventory, pool: PoolEntry, hosts: readonly HostSpec[]): Diagnostic[] {
  const serving = hosts.filter((h) => !isDraining(h));
  if (serving.length >= pool.size) return [];
  const draining = hosts.filter(isDraining);
  const withOsds = pool.deviceClass ? `with ${pool.deviceClass} OSDs` : "with OSDs";
  const remain = serving.length === 1 ? "remains" : "remain";
  const message =
    `pool ${pool.name} keeps ${pool.size} replicas on ${count(hosts.length, "host")} ${withOsds}; ` +
    `without ${listNames(draining.map((h) => h.name))} only ${serving.length} ${remain}: add the new host first`;
  return draining.map((host) => error(["hosts", inv.hosts.indexOf(host), "drain"], message));
}
