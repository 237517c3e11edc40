/**
 * Slurm rules: one controller, partitions made of real compute hosts, time limits that make sense, drains that
 * leave the cluster working (the controller never drains; a partition keeps a node).
 */
import { error, warning, type Diagnostic } from "./diagnostics";
import { isDraining, type Inventory, type SlurmSpec } from "./model";
import { count, formatSeconds, hasRole, indexedHostsWithRole, listNames, repeats } from "./semantic-util";

export function checkSlurm(inv: Inventory): Diagnostic[] {
  const slurm = inv.slurm;
  if (!slurm) {
    return inv.hosts.flatMap((host, i) => {
      const roles = host.roles.filter((r) => r === "slurm-controller" || r === "slurm-compute");
      if (roles.length === 0) return [];
      return [
        error(
          ["hosts", i, "roles"],
          `${host.name} has Slurm roles (${roles.join(", ")}) but the stack has no ie:slurm section: add one or remove the roles`,
        ),
      ];
    });
  }
  return [...checkController(inv), ...checkPartitions(inv, slurm), ...checkDrains(inv, slurm)];
}

function checkController(inv: Inventory): Diagnostic[] {
  const controllers = indexedHostsWithRole(inv, "slurm-controller");
  if (controllers.length === 0) {
    return [error(["slurm"], "no host has the slurm-controller role: give it to exactly one host")];
  }
  if (controllers.length > 1) {
    const names = controllers.map((c) => c.host.name);
    return [
      error(
        ["hosts", controllers[1].index, "roles"],
        `${count(controllers.length, "host")} carry slurm-controller (${listNames(names)}): the cluster runs a single slurmctld; keep the role on one host`,
      ),
    ];
  }
  return [];
}

function checkPartitions(inv: Inventory, slurm: SlurmSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const partitions = slurm.partitions;
  for (const r of repeats(partitions, (p) => p.name)) {
    out.push(
      error(
        ["slurm", "partitions", r.index, "name"],
        `partition '${r.value}' is already declared at slurm.partitions[${r.firstIndex}]: partition names must be unique`,
      ),
    );
  }
  partitions.forEach((partition, p) => {
    const path = ["slurm", "partitions", p];
    partition.nodes.forEach((node, n) => {
      const host = inv.hosts.find((h) => h.name === node);
      if (!host) {
        out.push(
          error(
            [...path, "nodes", n],
            `no host is named '${node}': a partition lists hosts with the slurm-compute role`,
          ),
        );
      } else if (!hasRole(host, "slurm-compute")) {
        out.push(
          error(
            [...path, "nodes", n],
            `${node} does not have the slurm-compute role: add the role to the host or remove it from the partition`,
          ),
        );
      }
    });
    for (const r of repeats(partition.nodes, (n) => n)) {
      out.push(
        error([...path, "nodes", r.index], `${r.value} is listed twice in partition ${partition.name}: remove one`),
      );
    }
    if (
      partition.defaultTime !== undefined &&
      partition.maxTime !== undefined &&
      partition.defaultTime > partition.maxTime
    ) {
      out.push(
        error(
          [...path, "defaultTime"],
          `defaultTime (${formatSeconds(partition.defaultTime)}) is longer than maxTime (${formatSeconds(partition.maxTime)}): make it at most maxTime`,
        ),
      );
    }
  });
  const defaults = partitions.flatMap((partition, p) => (partition.default ? [p] : []));
  if (defaults.length > 1) {
    const names = defaults.map((p) => partitions[p].name);
    out.push(
      error(
        ["slurm", "partitions", defaults[1], "default"],
        `${count(defaults.length, "partition")} have default: true (${listNames(names)}): only one can be the default; keep it on one`,
      ),
    );
  } else if (defaults.length === 0) {
    out.push(
      warning(
        ["slurm", "partitions"],
        "no partition has default: true: jobs that do not give -p are refused; make one partition the default",
      ),
    );
  }
  for (const { host, index } of indexedHostsWithRole(inv, "slurm-compute")) {
    if (!partitions.some((p) => p.nodes.includes(host.name))) {
      out.push(
        warning(
          ["hosts", index, "roles"],
          `${host.name} has the slurm-compute role but is in no partition: no job can run there; add it to a partition`,
        ),
      );
    }
  }
  return out;
}

/**
 * Draining a node DRAINs it in Slurm: its running jobs finish, no new job starts there. The controller is no node
 * to drain: the whole cluster needs it until the end, so it moves to a host that stays before its host drains. A
 * partition whose every node drains still accepts jobs, which then wait: a warning, as that may be what the admin
 * wants for a while.
 */
function checkDrains(inv: Inventory, slurm: SlurmSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { host, index } of indexedHostsWithRole(inv, "slurm-controller")) {
    if (isDraining(host)) {
      out.push(
        error(
          ["hosts", index, "drain"],
          `${host.name} runs the slurm controller: move the controller first (give the slurm-controller role ` +
            "to a host that stays); draining the controller is not supported",
        ),
      );
    }
  }
  for (const partition of slurm.partitions) {
    // Unknown hosts and hosts listed twice are the rules above; here each compute host counts once.
    const indexes = new Set(
      partition.nodes.map((name) => inv.hosts.findIndex((h) => h.name === name && hasRole(h, "slurm-compute"))),
    );
    const nodes = [...indexes].filter((i) => i >= 0).map((index) => ({ host: inv.hosts[index], index }));
    const draining = nodes.filter(({ host }) => isDraining(host));
    if (draining.length === 0 || draining.length < nodes.length) continue;
    const names = listNames(draining.map(({ host }) => host.name));
    const which = draining.length === 1 ? `${names} is the only node` : `${names} are all the nodes`;
    for (const { index } of draining) {
      out.push(
        warning(
          ["hosts", index, "drain"],
          `${which} of partition ${partition.name}: while ${draining.length === 1 ? "it drains" : "they drain"} ` +
            "the partition has no serving node and its jobs wait; add another node to the partition first",
        ),
      );
    }
  }
  return out;
}
