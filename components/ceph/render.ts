/**
 * Ceph's configuration from the model, pure: who runs which daemon (`cephLayout`), `ceph.conf` (the same on
 * every host) and keyrings. Keys come in as values; nothing here touches Pulumi or a host.
 */
import type { CephSpec, HostSpec, Inventory } from "../inventory/model";

export interface CephLayout {
  readonly spec: CephSpec;
  /** The network mons and clients use: `ceph.publicNetwork`, else the site's host network. */
  readonly publicNetwork: string;
  /** The serving daemons' hosts: a draining host is in none of these four lists. */
  readonly mons: readonly HostSpec[];
  readonly mgrs: readonly HostSpec[];
  readonly mdss: readonly HostSpec[];
  readonly osdHosts: readonly HostSpec[];
  /** Hosts with a Ceph daemon role and `drain: true`: their daemons hand over and stop, their OSDs go out. */
  readonly draining: readonly HostSpec[];
  /** Hosts that mount CephFS (compute and container hosts), when the inventory has a CephFS. */
  readonly cephfsClients: readonly HostSpec[];
  /** Hosts that use RBD as client.libvirt (VM hosts). */
  readonly rbdClients: readonly HostSpec[];
  /** Every host that needs ceph.conf: a daemon or a client, each once, in inventory order. */
  readonly hosts: readonly HostSpec[];
}

export function cephLayout(inventory: Inventory): CephLayout {
  const spec = inventory.ceph;
  if (spec === undefined) throw new Error("cephLayout: the inventory has no ceph section");
  const having = (...roles: string[]) => inventory.hosts.filter((h) => h.roles.some((r) => roles.includes(r)));
  const serving = (...roles: string[]) => having(...roles).filter((h) => !h.drain);
  const cephfsClients = spec.cephfs !== undefined ? having("slurm-compute", "container-host") : [];
  const rbdClients = having("vm-host");
  const daemons = having("ceph-mon", "ceph-mgr", "ceph-osd", "ceph-mds");
  const needed = new Set([...daemons, ...cephfsClients, ...rbdClients].map((h) => h.name));
  return {
    spec,
    publicNetwork: spec.publicNetwork ?? inventory.site.hostNetwork,
    mons: serving("ceph-mon"),
    mgrs: serving("ceph-mgr"),
    mdss: spec.cephfs !== undefined ? serving("ceph-mds") : [],
    osdHosts: serving("ceph-osd"),
    draining: daemons.filter((h) => h.drain),
    cephfsClients,
    rbdClients,
    hosts: inventory.hosts.filter((h) => needed.has(h.name)),
  };
}

/** `[v2:IP:3300,v1:IP:6789]` for each mon: how clients find the monitors. */
export function monHostValue(layout: CephLayout): string {
  return layout.mons.map((m) => `[v2:${m.address}:3300,v1:${m.address}:6789]`).join(",");
}

/** mgr modules enabled on a new cluster. `restful` stays off: it fails under Python 3.13 and nobody here uses it. */
export const MGR_INITIAL_MODULES = ["iostat", "nfs"];

/** ceph.conf, identical on every host. */
export function renderCephConf(layout: CephLayout, fsid: string): string {
  const global: [string, string | number][] = [
    ["fsid", fsid],
    ["mon_initial_members", layout.mons.map((m) => m.name).join(", ")],
    ["mon_host", monHostValue(layout)],
    ["public_network", layout.publicNetwork],
    ["auth_cluster_required", "cephx"],
    ["auth_service_required", "cephx"],
    ["auth_client_required", "cephx"],
    // A new cluster has no old clients that need the insecure reclaim (and Ceph warns while it is allowed).
    ["auth_allow_insecure_global_id_reclaim", "false"],
    // Deleting a pool takes an explicit change of this setting first, besides the stack's own protection.
    ["mon_allow_pool_delete", "false"],
    ["mgr_initial_modules", MGR_INITIAL_MODULES.join(" ")],
    ["osd_memory_target", layout.spec.osdMemoryTarget],
    ...Object.entries(layout.spec.settings),
  ];
  return [
    "# Written by ie-infra from the stack's inventory; hand edits show in 'npm run drift' and are undone.",
    "[global]",
    ...global.map(([k, v]) => `${k} = ${v}`),
    "",
  ].join("\n");
}

/** One entity of a keyring: its name (`client.admin`), key and capabilities per service. */
export interface KeyringEntry {
  readonly entity: string;
  readonly key: string;
  readonly caps: Readonly<Partial<Record<"mon" | "mgr" | "osd" | "mds", string>>>;
}

/** A keyring file holding the entries, caps included (what `ceph auth import` reads). */
export function renderKeyring(entries: readonly KeyringEntry[]): string {
  return entries
    .map((e) => {
      if (!/^[a-z-]+(\.[A-Za-z0-9_-]+)?\.?$/.test(e.entity)) throw new Error(`not a Ceph entity name: '${e.entity}'`);
      const caps = Object.entries(e.caps).map(([service, cap]) => {
        if (cap.includes('"')) throw new Error(`${e.entity}: caps for ${service} may not contain a double quote`);
        return `\tcaps ${service} = "${cap}"`;
      });
      return [`[${e.entity}]`, `\tkey = ${e.key}`, ...caps].join("\n");
    })
    .join("\n")
    .concat("\n");
}

/**
 * The capabilities of every entity the stack makes, least privilege first: clients get only what their use
 * needs (client.libvirt: RBD on the VM pool; the CephFS client: its file system's root and data).
 */
export const CAPS = {
  mon: { mon: "allow *" },
  admin: { mon: "allow *", mgr: "allow *", osd: "allow *", mds: "allow *" },
  bootstrapOsd: { mon: "allow profile bootstrap-osd" },
  mgr: { mon: "allow profile mgr", osd: "allow *", mds: "allow *" },
  mds: { mon: "allow profile mds", mgr: "allow profile mds", osd: "allow rwx", mds: "allow" },
  libvirt: (pool: string) => ({ mon: "profile rbd", osd: `profile rbd pool=${pool}`, mgr: `profile rbd pool=${pool}` }),
  cephfsClient: (fs: string, path: string) => ({
    mon: `allow r fsname=${fs}`,
    mds: `allow rw fsname=${fs} path=${path}`,
    osd: `allow rw tag cephfs data=${fs}`,
  }),
} as const;
