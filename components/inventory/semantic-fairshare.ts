/**
 * ie-podman's fair-share settings: each default within its ceiling, ceilings a container host can give,
 * and user caps only where there are container hosts to apply them.
 */
import { error, warning, type Diagnostic } from "./diagnostics";
import type { ContainersSpec, Inventory } from "./model";
import { formatBytes, indexedHostsWithRole, listNames } from "./semantic-util";

const LIMITS = ["memory", "cpus", "pids", "shm"] as const;

const show = (key: (typeof LIMITS)[number], value: number) => (key === "memory" || key === "shm" ? formatBytes(value) : String(value));

export function checkFairShare(inv: Inventory, containers: ContainersSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of LIMITS) {
    const { default: given, max } = containers.limits[key];
    if (given > max) {
      out.push(error(["containers", "limits", key, "default"], `the default ${show(key, given)} is above the ceiling ${show(key, max)} (limits.${key}.max): every container would be refused what it gets by default`));
    }
  }
  const hosts = indexedHostsWithRole(inv, "container-host");
  const smallMemory = hosts.filter(({ host }) => host.memory < containers.limits.memory.max).map(({ host }) => `${host.name} (${formatBytes(host.memory)})`);
  if (smallMemory.length > 0) {
    out.push(warning(["containers", "limits", "memory", "max"], `one container may ask for ${formatBytes(containers.limits.memory.max)}, more than ${listNames(smallMemory)} has: lower the ceiling or expect the host's OOM killer`));
  }
  const fewCpus = hosts.filter(({ host }) => host.cpus < containers.limits.cpus.max).map(({ host }) => `${host.name} (${host.cpus})`);
  if (fewCpus.length > 0) {
    out.push(warning(["containers", "limits", "cpus", "max"], `one container may ask for ${containers.limits.cpus.max} CPUs, more than ${listNames(fewCpus)} has`));
  }
  const gpuHosts = hosts.filter(({ host }) => (host.gpus?.count ?? 0) > 0);
  if (gpuHosts.length > 0 && containers.maxGpusPerUser === 0) {
    out.push(warning(["containers", "maxGpusPerUser"], "is 0: no user can get a GPU container on the GPU hosts (users with containerCaps.maxGpus can)"));
  }
  return out;
}

/** users[].containerCaps where nothing would apply them. */
export function checkUserCaps(inv: Inventory): Diagnostic[] {
  if (inv.containers !== undefined) return [];
  return inv.users.flatMap((u, i) => (u.containerCaps !== undefined ? [error(["users", i, "containerCaps"], `${u.name} has containerCaps but the stack has no ie:containers section: remove them or add the section`)] : []));
}
