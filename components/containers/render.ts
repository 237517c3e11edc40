/**
 * The configuration of a container host, rendered from the inventory: Podman's storage.conf (overlay on the
 * SSD path), a containers.conf drop-in, the Podman network of the address pool, ie-podman's own config,
 * the sudoers rule, the systemd units of the reaper and of the Slurm sync (render-units.ts) and the apt source
 * Apptainer comes from. Pure: no Pulumi, no I/O.
 */
import { createHash } from "node:crypto";
import { stringify } from "smol-toml";
import type { HostConfig } from "../../ie-podman/config";
import { type ContainerGpuMode, containerGpuMode } from "../inventory/gpu-mode";
import type { ContainersSpec, HostSpec, Inventory } from "../inventory/model";
import { hostsWithRole } from "../inventory/model";
import { firstHostAddress } from "../inventory/net";
import { IE_PODMAN_PATH } from "./render-units";

export { IE_PODMAN_PATH };

/** ie-podman's program (one JavaScript file, not executable): only the entry script starts it. */
export const IE_PODMAN_PROGRAM = "/usr/local/lib/ie-podman/ie-podman.cjs";
/** The runtime the entry starts: the OS's own nodejs package. */
export const NODE_PATH = "/usr/bin/node";
/** The Podman network of the address pool. */
export const POOL_NETWORK = "ie-podman";
/** The bridge of that network on the host (15 characters at most). */
export const POOL_BRIDGE = "ie-podman0";
export const LEDGER_PATH = "/var/lib/ie-podman/ledger.json";
export const AUDIT_LOG_PATH = "/var/log/ie-podman/audit.log";
/** Device nodes the NVIDIA driver adds beside the GPUs; passed to GPU containers when present. */
export const NVIDIA_SHARED_DEVICES = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"] as const;

export interface ContainerHostLayout {
  readonly host: HostSpec;
  readonly spec: ContainersSpec;
  /** Who owns the host's GPUs (gpu-mode.ts): Slurm, ie-podman's ledger, or there are none. */
  readonly gpuMode: ContainerGpuMode;
  /** Users with caps of their own (users[].containerCaps over the section's), by uid. */
  readonly userCaps: Readonly<Record<string, HostConfig["caps"]>>;
  /** The other container hosts that are not being drained: where users go while this one drains. */
  readonly otherHosts: readonly string[];
}

/** The section's per-user caps. */
function sectionCaps(spec: ContainersSpec): HostConfig["caps"] {
  return { maxContainers: spec.maxContainersPerUser, maxAddresses: spec.maxAddressesPerUser, maxGpus: spec.maxGpusPerUser };
}

/** Every container host with the containers section; throws when the inventory has none. */
export function containerHosts(inv: Inventory): ContainerHostLayout[] {
  const spec = inv.containers;
  if (spec === undefined) throw new Error("the inventory has no containers: section; add one (ipPool, storagePath) for container hosts");
  const userCaps = Object.fromEntries(
    inv.users.flatMap((u) => (u.containerCaps !== undefined ? [[String(u.uid), { ...sectionCaps(spec), ...u.containerCaps }] as const] : [])),
  );
  const hosts = hostsWithRole(inv, "container-host");
  return hosts.map((host) => ({
    host,
    spec,
    gpuMode: containerGpuMode(inv, host),
    userCaps,
    otherHosts: hosts.filter((h) => h !== host && !h.drain).map((h) => h.name),
  }));
}

/** /etc/containers/storage.conf: rootful Podman's images and containers on the SSD path, overlay driver. */
export function renderStorageConf(spec: ContainersSpec): string {
  return `# Managed by ie-infra: Podman's storage on SSD.\n${stringify({
    storage: { driver: "overlay", graphroot: `${spec.storagePath}/storage`, runroot: "/run/containers/storage" },
  })}\n`;
}

/** /etc/containers/containers.conf.d/50-ie.conf: the inventory's containers.conf settings. */
export function renderContainersConf(spec: ContainersSpec): string {
  return `# Managed by ie-infra: settings from the inventory's containers.containersConf.\n${stringify(spec.containersConf)}\n`;
}

/**
 * /etc/containers/networks/ie-podman.json: the pool as a Podman (netavark) network, declared as a file so
 * that drift shows a changed pool. The id is derived from the name (Podman wants 64 hex digits); the
 * gateway is the pool's first address, which ie-podman never hands out.
 */
export function renderPoolNetwork(spec: ContainersSpec): string {
  const network = {
    name: POOL_NETWORK,
    id: createHash("sha256").update(POOL_NETWORK).digest("hex"),
    driver: "bridge",
    network_interface: POOL_BRIDGE,
    created: "2026-01-01T00:00:00Z",
    subnets: [{ subnet: spec.ipPool, gateway: firstHostAddress(spec.ipPool) }],
    ipv6_enabled: false,
    internal: false,
    dns_enabled: false,
    ipam_options: { driver: "host-local" },
  };
  return `${JSON.stringify(network, null, 2)}\n`;
}

/**
 * /etc/ie-podman/config.json: what ie-podman knows about this host. `drain` only while the host drains, so a
 * host that does not drain keeps the configuration it had.
 */
export function ieProgramConfig(layout: ContainerHostLayout): HostConfig {
  const { host, spec } = layout;
  return {
    network: POOL_NETWORK,
    pool: spec.ipPool,
    gpus: host.gpus?.count ?? 0,
    devicePrefix: host.gpus?.devicePrefix ?? "/dev/nvidia",
    sharedGpuDevices: [...NVIDIA_SHARED_DEVICES],
    reapAfterSeconds: spec.reapAfter,
    buildUserNamespace: spec.buildUserNamespace,
    ledger: LEDGER_PATH,
    auditLog: AUDIT_LOG_PATH,
    limits: spec.limits,
    caps: sectionCaps(spec),
    userCaps: layout.userCaps,
    ...(host.drain ? { drain: { otherHosts: [...layout.otherHosts] } } : {}),
    ...slurmBlock(layout.gpuMode),
  };
}

/**
 * The `slurm` block on a host whose GPUs Slurm owns, and nothing elsewhere (a host in ledger mode keeps the
 * configuration it had). Slurm counts time limits in whole minutes; a maxTime that is not one rounds down, so
 * an allocation never asks for more than the partition allows.
 */
function slurmBlock(mode: ContainerGpuMode): Pick<HostConfig, "slurm"> {
  if (mode.kind !== "slurm") return {};
  return { slurm: { node: mode.node, partition: mode.partition, gresType: mode.gresType, maxTimeMinutes: Math.max(1, Math.floor(mode.maxTimeSeconds / 60)) } };
}

export function renderIeProgramConfig(layout: ContainerHostLayout): string {
  return `${JSON.stringify(ieProgramConfig(layout), null, 2)}\n`;
}

/** Where the entry script and what it starts live (tests render it with other paths). */
export interface EntryPaths {
  /** The entry script itself, re-run through sudo by a user. Defaults to IE_PODMAN_PATH. */
  readonly self: string;
  /** The node binary. Defaults to NODE_PATH. */
  readonly node: string;
  /** ie-podman's program. Defaults to IE_PODMAN_PROGRAM. */
  readonly program: string;
}

const ENTRY_DEFAULTS: EntryPaths = { self: IE_PODMAN_PATH, node: NODE_PATH, program: IE_PODMAN_PROGRAM };

/**
 * The entry script, /usr/local/bin/ie-podman: the only thing sudo runs as root for a user. Node would parse
 * any word on its command line (Debian 13's nodejs reads `--env-file` even among a script's arguments), so
 * node gets a fixed argv (`node -- PROGRAM`) and a fixed environment (`env -i`: no NODE_*, nothing of the
 * caller's but sudo's SUDO_* and a checked TERM), and the user's words go to descriptor 3 as NUL-terminated
 * frames, which node does not read. Run by a user, it first re-runs itself through sudo.
 */
export function renderEntryScript(paths: Partial<EntryPaths> = {}): string {
  const { self, node, program } = { ...ENTRY_DEFAULTS, ...paths };
  return `#!/bin/bash
# Managed by ie-infra: the entry of ie-podman. Users run it; it re-runs itself through sudo. As root it starts
# ie-podman's program with a fixed node command line and environment, and hands the arguments over
# descriptor 3 (NUL-terminated), where node never parses them.
set -euo pipefail
if [[ $EUID -ne 0 ]]; then
  exec /usr/bin/sudo -n -- ${self} "$@"
fi
term=\${TERM:-dumb}
[[ $term =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || term=dumb
env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "TERM=$term")
for name in SUDO_UID SUDO_GID SUDO_USER; do
  if [[ -n \${!name+set} ]]; then env+=("$name=\${!name}"); fi
done
exec /usr/bin/env -i "\${env[@]}" ${node} -- ${program} 3< <(if (($#)); then printf '%s\\0' "$@"; fi)
`;
}

/**
 * /etc/sudoers.d/ie-podman: every user may run ie-podman, and only it, as root, without a password. sudo's
 * env_reset stays on (ie-podman reads nothing of the caller's environment but what sudo sets).
 */
export function renderSudoers(): string {
  return [
    "# Managed by ie-infra: users run ie-podman (and only it) as root; ie-podman is the policy.",
    `Defaults!${IE_PODMAN_PATH} env_reset, !requiretty`,
    `ALL ALL=(root) NOPASSWD: ${IE_PODMAN_PATH}`,
    "",
  ].join("\n");
}

export { renderReaperService, renderReaperTimer, renderSyncService, renderSyncTimer } from "./render-units";

/** Where Apptainer comes from: an apt source (pinned) or a .deb file. */
export type ApptainerSource =
  | { readonly kind: "os" }
  | { readonly kind: "apt"; readonly line: string; readonly suite: string }
  | { readonly kind: "deb"; readonly url: string };

/** The inventory's apptainerSource, read. */
export function apptainerSource(spec: ContainersSpec): ApptainerSource {
  const text = spec.apptainerSource;
  if (text === undefined) return { kind: "os" };
  if (!text.startsWith("deb ")) return { kind: "deb", url: text };
  const words = text.replace(/\[[^\]]*\]/, "").trim().split(/\s+/);
  return { kind: "apt", line: text, suite: words[2] };
}

const ARCHIVE_NAMES = new Set(["stable", "testing", "unstable", "experimental", "oldstable"]);

export const APPTAINER_LIST = "/etc/apt/sources.list.d/ie-apptainer.list";
export const APPTAINER_PREFERENCES = "/etc/apt/preferences.d/ie-apptainer";

export function renderAptSource(source: Extract<ApptainerSource, { kind: "apt" }>): string {
  return `# Managed by ie-infra: where apptainer comes from (pinned: nothing else is taken from here).\n${source.line}\n`;
}

/**
 * The pin: the source's suite at priority 100 (never chosen over the OS's own packages), apptainer from it
 * at 990 (installed and upgraded from there). Its dependencies come from the OS where the OS has them.
 */
export function renderAptPreferences(source: Extract<ApptainerSource, { kind: "apt" }>): string {
  // apt pins a suite by its archive name (a=unstable) or by its codename (n=sid).
  const release = ARCHIVE_NAMES.has(source.suite) ? `a=${source.suite}` : `n=${source.suite}`;
  return [
    "# Managed by ie-infra.",
    "Package: *",
    `Pin: release ${release}`,
    "Pin-Priority: 100",
    "",
    "Package: apptainer",
    `Pin: release ${release}`,
    "Pin-Priority: 990",
    "",
  ].join("\n");
}
