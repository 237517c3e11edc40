/**
 * What makes a copy of the base root file system into one particular lab host: its name and address, the
 * lab's login key, apt sources pointing at the mirror it can reach, device nodes its roles need, and the
 * units that make systemd behave inside nspawn. Pure: the files are written by prepare-host.sh.
 */
import type { ResolvedName } from "./mirror";
import type { DebianMirror } from "./mirror";
import type { LabHostSpec, LabPlan } from "./plan";

export interface HostFile {
  /** Absolute path inside the host. */
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

export interface HostDirectory {
  /** Absolute path inside the host. */
  readonly path: string;
  readonly mode: number;
}

export interface HostCustomisation {
  /** Directories whose mode matters (others are made 0755 as needed). */
  readonly directories: readonly HostDirectory[];
  readonly files: readonly HostFile[];
  /** Units enabled (`systemctl enable` inside the root file system). */
  readonly enable: readonly string[];
  /** Units masked: they fail in a container and would leave systemd "degraded". */
  readonly mask: readonly string[];
  /** Paths removed if present. */
  readonly remove: readonly string[];
}

/** A lab host as the others' /etc/hosts name it. */
export interface LabPeer {
  readonly name: string;
  readonly address: string;
}

export interface HostCustomisationInput {
  readonly plan: LabPlan;
  readonly host: LabHostSpec;
  /** Every lab host once `up` is done, this one included: the plan's and any other that runs. */
  readonly peers: readonly LabPeer[];
  readonly mirror: DebianMirror;
  /** The mirror's names with the addresses resolved at `up` time; the first address is pinned. */
  readonly mirrorNames: readonly ResolvedName[];
  /** The lab's public login key line, root's only authorized key. */
  readonly authorizedKey: string;
  /** Debian suite of the hosts, e.g. `trixie`. */
  readonly suite: string;
}

/**
 * Units masked in every lab host. nvmf-autoconnect arrives with nvme-cli (pulled in by Ceph/libvirt
 * packages) and fails without NVMe fabrics (masking ahead of installation is harmless); systemd-firstboot
 * would prompt on a console nobody can type into; apt's daily timers would take the apt locks at random
 * moments in the middle of an apply.
 */
export const MASKED_UNITS: readonly string[] = [
  "nvmf-autoconnect.service",
  "systemd-firstboot.service",
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
];

const SSH_HOSTKEYS_UNIT = "ie-lab-ssh-hostkeys.service";
const CGROUP_RW_UNIT = "ie-lab-cgroup-rw.service";
const CGROUP_RW_SCRIPT = "/usr/local/sbin/ie-lab-cgroup-rw";

/** Daemons that create cgroups: the v1 controllers must be writable before they start. */
export const CGROUP_USERS: readonly string[] = [
  "munge.service",
  "slurmd.service",
  "slurmctld.service",
  "podman.service",
  "podman.socket",
  "libvirtd.service",
  "virtqemud.service",
];

export function renderHostCustomisation(input: HostCustomisationInput): HostCustomisation {
  const { host } = input;
  return {
    directories: [{ path: "/root/.ssh", mode: 0o700 }],
    files: [
      { path: "/etc/hostname", mode: 0o644, content: `${host.name}\n` },
      { path: "/etc/hosts", mode: 0o644, content: renderEtcHosts(input) },
      { path: "/etc/resolv.conf", mode: 0o644, content: RESOLV_CONF },
      { path: "/etc/systemd/network/10-ie-lab-host0.network", mode: 0o644, content: renderNetwork(input) },
      { path: "/etc/apt/sources.list.d/debian.sources", mode: 0o644, content: renderAptSources(input) },
      { path: "/etc/apt/apt.conf.d/10ie-lab-keep-debs", mode: 0o644, content: APT_KEEP_DEBS },
      { path: "/etc/ssh/sshd_config.d/10-ie-lab.conf", mode: 0o644, content: SSHD_CONFIG },
      { path: "/root/.ssh/authorized_keys", mode: 0o600, content: `${input.authorizedKey.trim()}\n` },
      { path: `/etc/systemd/system/${SSH_HOSTKEYS_UNIT}`, mode: 0o644, content: SSH_HOSTKEYS_SERVICE },
      { path: `/etc/systemd/system/${CGROUP_RW_UNIT}`, mode: 0o644, content: renderCgroupRwService() },
      { path: CGROUP_RW_SCRIPT, mode: 0o755, content: CGROUP_RW_SH },
      { path: "/etc/tmpfiles.d/ie-lab-devices.conf", mode: 0o644, content: renderDeviceNodes(host) },
    ],
    enable: ["systemd-networkd.service", SSH_HOSTKEYS_UNIT, CGROUP_RW_UNIT, "ssh.service"],
    mask: MASKED_UNITS,
    // debootstrap's one-line sources.list would duplicate debian.sources; docker-clean style configs
    // delete downloaded packages before the machine's package pool can take them back.
    remove: ["/etc/apt/sources.list", "/etc/apt/apt.conf.d/docker-clean"],
  };
}

/** Every lab host by name, and the mirror's names (the hosts have no DNS server). */
export function renderEtcHosts(input: HostCustomisationInput): string {
  const lines = [
    "# Written by the lab (npm run lab -- up). The lab has no DNS: every name it uses is here.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "",
    LAB_HOSTS_HEADING,
    ...peerLines(input.peers),
    "",
    "# the Debian mirror, the only address outside the lab that is let through",
    ...input.mirrorNames.map((n) => `${firstOf(n)}\t${n.name}`),
  ];
  return `${lines.join("\n")}\n`;
}

const LAB_HOSTS_HEADING = "# lab hosts";

function peerLines(peers: readonly LabPeer[]): string[] {
  return peers.map((h) => `${h.address}\t${h.name}`);
}

/**
 * A running host's /etc/hosts with its lab hosts section listing `peers` (a host joined or left); the rest of
 * the file is kept. Undefined when the section is not there (the file is not the lab's any more: left alone).
 */
export function etcHostsWithPeers(text: string, peers: readonly LabPeer[]): string | undefined {
  const lines = text.split("\n");
  const start = lines.indexOf(LAB_HOSTS_HEADING);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end].trim() !== "" && !lines[end].startsWith("#")) end++;
  return [...lines.slice(0, start + 1), ...peerLines(peers), ...lines.slice(end)].join("\n");
}

function firstOf(name: ResolvedName): string {
  const first = name.addresses[0];
  if (first === undefined) throw new Error(`the mirror name ${name.name} has no address`);
  return first;
}

export function renderNetwork(input: HostCustomisationInput): string {
  return [
    "# Static address on the lab bridge; the bridge is the gateway (its NAT lets only the mirror through).",
    "[Match]",
    "Name=host0",
    "",
    "[Network]",
    `Address=${input.host.address}/${input.plan.prefixLength}`,
    `Gateway=${input.plan.gateway}`,
    "LinkLocalAddressing=no",
    "IPv6AcceptRA=no",
    "",
  ].join("\n");
}

export function renderAptSources(input: HostCustomisationInput): string {
  const { suite, mirror } = input;
  return [
    "Types: deb",
    `URIs: ${mirror.archive}`,
    `Suites: ${suite} ${suite}-updates`,
    "Components: main",
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
    "",
    "Types: deb",
    `URIs: ${mirror.security}`,
    `Suites: ${suite}-security`,
    "Components: main",
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
    "",
  ].join("\n");
}

/** Device nodes made at every boot (/dev is a fresh tmpfs): FUSE for apptainer, tun, fake GPUs. */
export function renderDeviceNodes(host: LabHostSpec): string {
  const lines = [
    "# Device nodes of a lab host, made inside (a bound host node would share the host's inode).",
    "c! /dev/fuse 0666 - - - 10:229",
    "d /dev/net 0755 - - -",
    "c! /dev/net/tun 0666 - - - 10:200",
  ];
  if (host.gpus !== undefined) {
    const prefix = host.gpus.devicePrefix;
    lines.push(`# ${host.gpus.count} fake ${host.gpus.type} GPUs: NVIDIA's character major 195, no driver behind them`);
    for (let i = 0; i < host.gpus.count; i++) lines.push(`c! ${prefix}${i} 0666 - - - 195:${i}`);
    lines.push(`c! ${prefix}ctl 0666 - - - 195:255`);
  }
  return `${lines.join("\n")}\n`;
}

export function renderCgroupRwService(): string {
  return [
    "[Unit]",
    "Description=Make the cgroup v1 controllers writable (lab: nspawn mounts them read-only)",
    `Before=${CGROUP_USERS.join(" ")}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${CGROUP_RW_SCRIPT}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

const RESOLV_CONF = [
  "# The lab has no DNS server: names are in /etc/hosts. With no nameserver line a lookup of any other",
  "# name fails at once (nothing listens on the loopback resolver) instead of timing out.",
  "options timeout:1 attempts:1",
  "",
].join("\n");

const APT_KEEP_DEBS = [
  "// The machine's package pool takes back what a lab host downloaded (see apt-pool.ts): keep it here.",
  'APT::Keep-Downloaded-Packages "true";',
  'Binary::apt::APT::Keep-Downloaded-Packages "true";',
  "",
].join("\n");

const SSHD_CONFIG = [
  "# The lab logs in as root with its own key only.",
  "PermitRootLogin prohibit-password",
  "PasswordAuthentication no",
  "# Every connection comes from the lab's machine, hundreds per test run: sshd's per-source penalties would",
  "# refuse all of them for a while after one connection dropped before login.",
  "PerSourcePenalties no",
  "",
].join("\n");

const SSH_HOSTKEYS_SERVICE = [
  "[Unit]",
  "Description=Generate this lab host's own SSH host keys (its root file system is a copy without keys)",
  "Before=ssh.service ssh.socket",
  "",
  "[Service]",
  "Type=oneshot",
  "RemainAfterExit=yes",
  "ExecStart=/usr/bin/ssh-keygen -A",
  "",
  "[Install]",
  "WantedBy=multi-user.target ssh.service",
  "",
].join("\n");

const CGROUP_RW_SH = `#!/usr/bin/env bash
# Remount this lab host's cgroup v1 controllers read-write. systemd-nspawn mounts them read-only, and
# slurmd, podman and libvirtd need to create cgroups. Safe in the lab: each host runs in a private cgroup
# that is the root of its cgroup namespace, so it can only write in its own subtree. No arguments;
# controllers already writable are left alone.
set -euo pipefail
while read -r target options; do
  case ",\${options}," in
    *,ro,*)
      mount -o remount,bind,rw "\${target}"
      echo "remounted \${target} read-write"
      ;;
  esac
done < <(findmnt -rn -t cgroup -o TARGET,OPTIONS)
`;

