/**
 * The Ceph cluster on its hosts, in the order Ceph needs: packages and ceph.conf everywhere; the mons and
 * the quorum gate before anything else; then the keys of every other daemon and client, mgrs, OSDs and the
 * OSD gate; pools (CRUSH rule by device class), CephFS and its MDS; the clients' keyrings and the CephFS
 * mounts; finally the health gate. The fsid and every key are generated once (`random.RandomBytes`) and kept
 * secret in the state; keys reach hosts only as secret ManagedFiles or on STDIN.
 *
 * Pools and the file system are `protect`ed: removing one from the inventory fails the update until the
 * admin lifts the protection (`pulumi state unprotect`), and the cluster itself refuses pool deletion
 * (`mon_allow_pool_delete = false`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { remote } from "@pulumi/command";
import type { Host } from "../host/host";
import type { HostSpec, OsdSpec, PoolSpec, UserSpec } from "../inventory/model";
import { CEPHX_SECRET_BYTES, cephxKey, uuidFromHex } from "./keys";
import { CAPS, renderCephConf, renderKeyring, type CephLayout, type KeyringEntry } from "./render";
import { CEPHFS_CLIENT, mountUnitName, renderMountUnit } from "./render-mount";

export interface CephClusterArgs {
  /** Who runs which daemon, as `cephLayout(inventory)` gives it. */
  readonly layout: CephLayout;
  /** The inventory's hosts by name; must hold every host of the layout. */
  readonly hosts: ReadonlyMap<string, Host>;
  /** Users whose homes are made on CephFS once it is mounted. Defaults to none. */
  readonly users?: readonly UserSpec[];
  /** The RBD pool VM disks live in (client.libvirt's only pool). Defaults to the first rbd pool. */
  readonly vmPool?: string;
}

/** Seconds each gate waits: quorum, OSDs up and in, health. */
const GATE_SECONDS = { quorum: 180, osds: 300, health: 300 };

/**
 * The refresh's guard for hosts that left the stack, on `admin` (a serving mon host): a drained host is
 * purged from the cluster's maps; an undrained one fails the apply, naming what it holds. The system makes
 * every host's commands wait for it, so a refused removal changes nothing.
 */
export function cephDepartureGuard(layout: CephLayout, admin: Host): remote.Command {
  const names = [...layout.mons, ...layout.mgrs, ...layout.mdss, ...layout.osdHosts, ...layout.draining].map((h) => h.name);
  return admin.runScript("ceph-departures", { script: "ceph/departures.sh", args: [...new Set(names)] });
}

type Caps = KeyringEntry["caps"];

export class CephCluster extends pulumi.ComponentResource {
  /** The cluster's fsid (not a secret: it is in every ceph.conf). */
  public readonly fsid: pulumi.Output<string>;
  /** The quorum gate: everything after the mons depends on it. */
  public readonly quorum: remote.Command;
  /** Every OSD command, in inventory order. */
  public readonly osds: readonly remote.Command[];
  /** The OSD gate: every OSD up and in. */
  public readonly osdsReady: remote.Command;
  /** Pool commands by pool name (the CephFS pools included). */
  public readonly pools: ReadonlyMap<string, remote.Command>;
  /** `ceph fs new`, when the inventory has a CephFS. */
  public readonly fileSystem?: remote.Command;
  /** CephFS mounted, per client host name. */
  public readonly mounts: ReadonlyMap<string, remote.Command>;
  /** The health gate: HEALTH_OK or only accepted warnings. */
  public readonly healthy: remote.Command;
  /** Per draining host, its last drain step (the mon's leave, or the daemons' stop). */
  public readonly drained: readonly pulumi.Resource[];
  /** Every key by entity (`client.admin`), secret. */
  public readonly keys: ReadonlyMap<string, pulumi.Output<string>>;

  private readonly layout: CephLayout;
  private readonly hostOf: (spec: HostSpec) => Host;
  /** Per host: its Ceph packages and ceph.conf, which everything Ceph on it waits for. */
  private readonly prepared = new Map<string, readonly pulumi.Resource[]>();

  constructor(name: string, args: CephClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:ceph:CephCluster", name, {}, opts);
    const { layout } = args;
    this.layout = layout;
    this.hostOf = (spec) => {
      const host = args.hosts.get(spec.name);
      if (host === undefined) throw new Error(`ceph: no Host was built for ${spec.name}`);
      return host;
    };
    const spec = layout.spec;
    const firstMon = layout.mons[0];
    if (firstMon === undefined) throw new Error("ceph: the inventory has no ceph-mon host");
    const admin = this.hostOf(firstMon);

    const fsidBytes = new random.RandomBytes("ceph-fsid", { length: 16 }, { parent: this });
    this.fsid = pulumi.unsecret(fsidBytes.hex.apply(uuidFromHex));
    const keys = new Map<string, pulumi.Output<string>>();
    const keyOf = (entity: string): pulumi.Output<string> => {
      const existing = keys.get(entity);
      if (existing !== undefined) return existing;
      const bytes = new random.RandomBytes(`ceph-key-${entity.replace(/\.$/, "").replace(/\./g, "-")}`, { length: CEPHX_SECRET_BYTES }, { parent: this });
      const key = pulumi.secret(bytes.base64.apply(cephxKey));
      keys.set(entity, key);
      return key;
    };
    this.keys = keys;
    const keyring = (entries: readonly [string, Caps][]): pulumi.Output<string> =>
      pulumi.secret(pulumi.all(entries.map(([entity]) => keyOf(entity))).apply((ks) => renderKeyring(entries.map(([entity, caps], i) => ({ entity, key: ks[i], caps })))));

    // Packages and ceph.conf on every host that needs them.
    const conf = this.fsid.apply((fsid) => renderCephConf(layout, fsid));
    for (const h of layout.hosts) {
      const host = this.hostOf(h);
      const install = host.runScript("ceph-install", { script: "ceph/install.sh", args: cephPackageRoles(layout, h) });
      const confFile = host.writeFile("ceph.conf", { path: "/etc/ceph/ceph.conf", content: conf, mode: "0644", owner: "root:root" }, { dependsOn: [install] });
      this.prepared.set(h.name, [install, confFile.resource]);
    }
    const ready = (h: HostSpec): readonly pulumi.Resource[] => this.ready(h);

    // Mons, then the quorum gate.
    const monKeyring = keyring([
      ["mon.", CAPS.mon],
      ["client.admin", CAPS.admin],
      ["client.bootstrap-osd", CAPS.bootstrapOsd],
    ]);
    const adminKeyring = keyring([["client.admin", CAPS.admin]]);
    const monList = layout.mons.map((m) => `${m.name}=${m.address}`);
    const mons = layout.mons.map((m) => {
      const host = this.hostOf(m);
      const files = [
        this.secretFile(host, "ceph.mon.keyring", "/etc/ceph/ceph.mon.keyring", monKeyring, "ceph:ceph", ready(m)),
        this.secretFile(host, "ceph.client.admin.keyring", "/etc/ceph/ceph.client.admin.keyring", adminKeyring, "root:root", ready(m)),
      ];
      return host.runScript("ceph-mon", { script: "ceph/mon.sh", args: [m.name, this.fsid, ...monList] }, { dependsOn: [...ready(m), ...files] });
    });
    this.quorum = admin.runScript("ceph-quorum", { script: "ceph/quorum-wait.sh", args: [String(GATE_SECONDS.quorum), ...layout.mons.map((m) => m.name)] }, { dependsOn: mons });

    // Every other entity's key and caps, registered once the quorum stands.
    const vmPool = args.vmPool ?? spec.pools.find((p) => p.application === "rbd")?.name;
    const entities: [string, Caps][] = [
      ...layout.mgrs.map((h): [string, Caps] => [`mgr.${h.name}`, CAPS.mgr]),
      ...layout.mdss.map((h): [string, Caps] => [`mds.${h.name}`, CAPS.mds]),
      ...(spec.cephfs !== undefined ? [[`client.${CEPHFS_CLIENT}`, CAPS.cephfsClient(spec.cephfs.name, "/")] as [string, Caps]] : []),
      ...(vmPool !== undefined && layout.rbdClients.length > 0 ? [["client.libvirt", CAPS.libvirt(vmPool)] as [string, Caps]] : []),
    ];
    const auth = entities.length > 0 ? [admin.runScript("ceph-auth", { script: "ceph/auth-import.sh", stdin: keyring(entities) }, { dependsOn: [this.quorum] })] : [];

    // Mgrs (with the Python 3.13 fix in place before the first start).
    const mgrs = layout.mgrs.map((h) => {
      const host = this.hostOf(h);
      const fix = host.runScript("ceph-mgr-python-fix", { script: "ceph/mgr-python-fix.sh" }, { dependsOn: ready(h) });
      const key = this.secretFile(host, "mgr.keyring", `/var/lib/ceph/mgr/ceph-${h.name}/keyring`, keyring([[`mgr.${h.name}`, CAPS.mgr]]), "ceph:ceph", ready(h));
      return host.runScript("ceph-mgr", { script: "ceph/service.sh", args: [`ceph-mgr@${h.name}`] }, { dependsOn: [fix, key, ...auth] });
    });

    // OSDs, one device after another on a host; then the OSD gate.
    const bootstrapOsd = keyring([["client.bootstrap-osd", CAPS.bootstrapOsd]]);
    const osds: remote.Command[] = [];
    for (const h of layout.osdHosts) {
      const host = this.hostOf(h);
      const key = this.secretFile(host, "bootstrap-osd.keyring", "/var/lib/ceph/bootstrap-osd/ceph.keyring", bootstrapOsd, "ceph:ceph", ready(h));
      let previous: pulumi.Resource[] = [this.quorum, key, ...ready(h)];
      for (const osd of h.osds) {
        const command = host.runScript(`ceph-osd-${osdName(osd)}`, { script: "ceph/osd.sh", args: osdArgs(spec.osdBackend, osd) }, { dependsOn: previous });
        osds.push(command);
        previous = [command];
      }
    }
    this.osds = osds;
    const osdCount = layout.osdHosts.reduce((n, h) => n + h.osds.length, 0);
    this.osdsReady = admin.runScript("ceph-osds-ready", { script: "ceph/osd-wait.sh", args: [String(GATE_SECONDS.osds), String(osdCount)] }, { dependsOn: [...osds, ...mgrs] });

    // Pools and the file system, protected.
    const pools = new Map<string, remote.Command>();
    const pool = (p: Omit<PoolSpec, "application"> & { application: PoolSpec["application"] }) => {
      const command = admin.runScript(`ceph-pool-${p.name}`, { script: "ceph/pool.sh", args: poolArgs(p) }, { dependsOn: [this.osdsReady], protect: true });
      pools.set(p.name, command);
      return command;
    };
    for (const p of spec.pools) pool(p);
    const mdss: remote.Command[] = [];
    const mounts = new Map<string, remote.Command>();
    const fsSpec = spec.cephfs;
    if (fsSpec !== undefined) {
      const meta = pool({ ...fsSpec.metadataPool, application: "cephfs" });
      const data = pool({ ...fsSpec.dataPool, application: "cephfs" });
      this.fileSystem = admin.runScript("ceph-fs", { script: "ceph/fs.sh", args: [fsSpec.name, fsSpec.metadataPool.name, fsSpec.dataPool.name] }, { dependsOn: [meta, data], protect: true });
      for (const h of layout.mdss) {
        const host = this.hostOf(h);
        const key = this.secretFile(host, "mds.keyring", `/var/lib/ceph/mds/ceph-${h.name}/keyring`, keyring([[`mds.${h.name}`, CAPS.mds]]), "ceph:ceph", ready(h));
        mdss.push(host.runScript("ceph-mds", { script: "ceph/service.sh", args: [`ceph-mds@${h.name}`] }, { dependsOn: [key, ...auth, this.fileSystem] }));
      }
      this.mountCephFs(keyring([[`client.${CEPHFS_CLIENT}`, CAPS.cephfsClient(fsSpec.name, "/")]]), [...auth, ...mdss], args.users ?? [], mounts);
    }
    this.pools = pools;
    this.mounts = mounts;

    // client.libvirt's keyring where VMs will use RBD.
    const libvirtKeys = vmPool !== undefined
      ? layout.rbdClients.map((h) => this.secretFile(this.hostOf(h), "ceph.client.libvirt.keyring", "/etc/ceph/ceph.client.libvirt.keyring", keyring([["client.libvirt", CAPS.libvirt(vmPool)]]), "root:root", [...ready(h), ...auth]))
      : [];

    // Draining hosts hand over once the serving daemons (new hosts' included) are in place.
    const drains = layout.draining.map((h) => this.drain(admin, h, [this.quorum, this.osdsReady, ...pools.values(), ...mgrs, ...mdss]));
    this.drained = drains;

    this.healthy = admin.runScript(
      "ceph-healthy",
      { script: "ceph/health-wait.sh", args: [String(GATE_SECONDS.health), ...spec.acceptedHealthWarnings] },
      { dependsOn: [...pools.values(), ...(this.fileSystem ? [this.fileSystem] : []), ...mdss, ...mgrs, ...mounts.values(), ...libvirtKeys, ...drains] },
    );
    this.registerOutputs({ fsid: this.fsid });
  }

  /** CephFS on every client host: its key, the mount unit, the mount; then the users' homes on it, once. */
  private mountCephFs(clientKeyring: pulumi.Output<string>, after: readonly pulumi.Resource[], users: readonly UserSpec[], mounts: Map<string, remote.Command>): void {
    const fsSpec = this.layout.spec.cephfs;
    if (fsSpec === undefined) return;
    const unit = mountUnitName(fsSpec.mountPoint);
    const unitText = renderMountUnit(this.layout);
    for (const h of this.layout.cephfsClients) {
      const host = this.hostOf(h);
      const base = this.ready(h);
      const key = this.secretFile(host, `ceph.client.${CEPHFS_CLIENT}.keyring`, `/etc/ceph/ceph.client.${CEPHFS_CLIENT}.keyring`, clientKeyring, "root:root", base);
      const unitFile = host.writeFile(unit, { path: `/etc/systemd/system/${unit}`, content: unitText, mode: "0644", owner: "root:root" }, { dependsOn: base });
      mounts.set(
        h.name,
        host.runScript("cephfs-mount", { script: "ceph/cephfs-mount.sh", args: [unit, fsSpec.mountPoint], rerunOn: [unitFile.contentHash] }, { dependsOn: [key, unitFile.resource, ...after] }),
      );
    }
    const first = this.layout.cephfsClients[0];
    const firstMount = first !== undefined ? mounts.get(first.name) : undefined;
    if (first !== undefined && firstMount !== undefined && users.length > 0) {
      this.hostOf(first).runScript("cephfs-homes", { script: "ceph/homes.sh", args: [fsSpec.mountPoint, ...users.flatMap((u) => [u.name, String(u.uid)])] }, { dependsOn: [firstMount] });
    }
  }

  /**
   * One draining host, in Ceph's order: from the admin host, a standby takes over its mgr and MDS and its
   * OSDs go out until safe-to-destroy (bounded by the host's drainTimeout); then its daemons stop on it;
   * then its mon leaves the monmap. Taking `drain` back marks its OSDs in again (the drain's delete).
   */
  private drain(admin: Host, h: HostSpec, after: readonly pulumi.Resource[]): pulumi.Resource {
    const out = admin.runScript(
      `ceph-drain-${h.name}`,
      { script: "ceph/drain.sh", args: [h.name, String(h.drainTimeout)], deleteScript: { script: "ceph/undrain.sh", args: [h.name] } },
      { dependsOn: after },
    );
    const stop = this.hostOf(h).runScript("ceph-stop-daemons", { script: "ceph/stop-daemons.sh" }, { dependsOn: [out, ...this.ready(h)] });
    if (!h.roles.includes("ceph-mon")) return stop;
    return admin.runScript(`ceph-mon-leave-${h.name}`, { script: "ceph/mon-leave.sh", args: [h.name] }, { dependsOn: [stop] });
  }

  private ready(h: HostSpec): readonly pulumi.Resource[] {
    return this.prepared.get(h.name) ?? [];
  }

  private secretFile(host: Host, name: string, path: string, content: pulumi.Output<string>, owner: string, after: readonly pulumi.Resource[]): pulumi.Resource {
    return host.writeFile(name, { path, content, mode: "0600", owner, secret: true }, { dependsOn: [...after] }).resource;
  }
}

/** The install.sh roles of a host: its daemons, plus the client tools (and ceph-fuse) CephFS clients need. */
export function cephPackageRoles(layout: CephLayout, h: HostSpec): string[] {
  const roles: string[] = [];
  // A draining host keeps its packages (its daemons' data stays until the host leaves).
  const has = (serving: readonly HostSpec[], role: string) => serving.includes(h) || (h.drain && h.roles.some((r) => r === role));
  if (has(layout.mons, "ceph-mon")) roles.push("mon");
  if (has(layout.mgrs, "ceph-mgr")) roles.push("mgr");
  if (has(layout.osdHosts, "ceph-osd")) roles.push("osd");
  if (has(layout.mdss, "ceph-mds") && layout.spec.cephfs !== undefined) roles.push("mds");
  roles.push("client");
  if (layout.cephfsClients.includes(h) && layout.spec.mountMethod === "fuse") roles.push("fuse");
  return roles;
}

/** A device's name in resource names: `/var/lib/ceph/osd-files/ssd0` -> `ssd0`, `/dev/sdb` -> `sdb`. */
function osdName(osd: OsdSpec): string {
  return osd.device.split("/").filter(Boolean).join("-").replace(/^dev-/, "").replace(/^var-lib-ceph-osd-files-/, "");
}

function osdArgs(backend: "lvm" | "file", osd: OsdSpec): string[] {
  return [backend, osd.device, osd.class, osd.wipe ? "yes" : "no", ...(backend === "file" && osd.size !== undefined ? [String(osd.size)] : [])];
}

function poolArgs(p: Omit<PoolSpec, "application"> & { application: PoolSpec["application"] }): string[] {
  const minSize = p.minSize ?? Math.max(1, p.size - 1);
  return [p.name, p.application, String(p.size), String(minSize), p.deviceClass ?? "any", p.pgAutoscale];
}
