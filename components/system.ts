/**
 * The department's whole computing system as one component: a Host per server, then the subsystems the
 * inventory declares (Ceph, Slurm, containers, VM rental). It only wires components
 * together; what each builds lives in its own folder.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ieProgramBundle } from "../ie-podman/bundle";
import { CephCluster, cephDepartureGuard } from "./ceph/cephCluster";
import { ContainerHost } from "./containers/containerHost";
import { guideFiles, guideHosts } from "./guide/render";
import { UserGuide } from "./guide/userGuide";
import { POOL_NETWORK, containerHosts } from "./containers/render";
import { RentalVm, type RentalSummary } from "./vm/rentalVm";
import { vmLayout } from "./vm/render-layout";
import { VmHost } from "./vm/vmHost";
import { cephLayout } from "./ceph/render";
import { Host, type SshCredentials } from "./host/host";
import type { Inventory, Role } from "./inventory/model";
import { gresOf, slurmLayout } from "./slurm/render";
import { SlurmCluster, slurmDepartureGuard } from "./slurm/slurmCluster";

export interface EducationSystemArgs {
  /** The validated inventory of the stack. */
  readonly inventory: Inventory;
  /** How Pulumi logs in to every host. */
  readonly credentials: SshCredentials;
}

export interface HostSummary {
  readonly address: string;
  readonly roles: readonly Role[];
}

export interface PartitionSummary {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly default: boolean;
}

export interface SlurmSummary {
  readonly clusterName: string;
  readonly controller: string;
  readonly partitions: readonly PartitionSummary[];
  /** Compute nodes with the GRES they declare (`gpu:tesla:2`), absent without GPUs. */
  readonly nodes: readonly { readonly name: string; readonly gres?: string }[];
}

export interface CephSummary {
  readonly fsid: pulumi.Output<string>;
  readonly mons: readonly string[];
  readonly pools: readonly string[];
  /** The CephFS and where client hosts mount it. */
  readonly cephfs?: { readonly name: string; readonly mountPoint: string; readonly clients: readonly string[] };
}

export interface ContainersSummary {
  readonly hosts: readonly string[];
  /** The address pool of `ie-podman run --ip` and the Podman network that carries it. */
  readonly pool: string;
  readonly network: string;
  readonly reapAfterSeconds: number;
}

/** What the stack reports (`pulumi stack output`): plain data, no secrets. */
export interface SystemOutputs {
  readonly hosts: Readonly<Record<string, HostSummary>>;
  readonly ceph?: CephSummary;
  readonly slurm?: SlurmSummary;
  readonly containers?: ContainersSummary;
  /** Per rental: owner, host, IP and spec (bytes). */
  readonly rentals?: Readonly<Record<string, RentalSummary>>;
}

/** Bytes of the munge key: munge's maximum, the more the better for an HMAC key. */
const MUNGE_KEY_BYTES = 1024;

export class EducationSystem extends pulumi.ComponentResource {
  /** Every host of the inventory by name, in inventory order. */
  public readonly hosts: ReadonlyMap<string, Host>;
  /** The munge key (base64, secret); only when the inventory has a slurm section. */
  public readonly mungeKey?: pulumi.Output<string>;
  public readonly ceph?: CephCluster;
  public readonly slurm?: SlurmCluster;
  /** Rental VMs by rental name. */
  public readonly rentals: ReadonlyMap<string, RentalVm>;
  /** Container hosts by host name. */
  public readonly containerHosts: ReadonlyMap<string, ContainerHost>;
  /** The users' guide, ie-help and the login message, by login host name. */
  public readonly guides: ReadonlyMap<string, UserGuide>;
  public readonly outputs: SystemOutputs;

  constructor(name: string, args: EducationSystemArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:system:EducationSystem", name, {}, opts);
    const { inventory, credentials } = args;

    const hosts = new Map<string, Host>();
    for (const spec of inventory.hosts) {
      hosts.set(
        spec.name,
        new Host(
          spec.name,
          { spec, credentials, users: inventory.users, extraPackages: inventory.site.extraPackages },
          { parent: this },
        ),
      );
    }
    this.hosts = hosts;

    // The refresh: hosts that left the stack are checked (and purged from Ceph's maps when drained) before
    // anything else changes, from hosts that stay.
    const guards = this.departureGuards(inventory);
    for (const host of hosts.values()) host.holdUntil(guards);

    let ceph: CephSummary | undefined;
    if (inventory.ceph !== undefined) {
      const layout = cephLayout(inventory);
      this.ceph = new CephCluster("ceph", { layout, hosts, users: inventory.users, vmPool: inventory.vms?.pool }, { parent: this });
      const fs = inventory.ceph.cephfs;
      ceph = {
        fsid: this.ceph.fsid,
        mons: layout.mons.map((h) => h.name),
        pools: [...this.ceph.pools.keys()],
        ...(fs !== undefined ? { cephfs: { name: fs.name, mountPoint: fs.mountPoint, clients: layout.cephfsClients.map((h) => h.name) } } : {}),
      };
    }

    let slurm: SlurmSummary | undefined;
    if (inventory.slurm !== undefined) {
      const layout = slurmLayout(inventory);
      const key = new random.RandomBytes("munge-key", { length: MUNGE_KEY_BYTES }, { parent: this });
      // The provider marks base64 secret itself; saying it here keeps it secret whatever the engine does.
      this.mungeKey = pulumi.secret(key.base64);
      this.slurm = new SlurmCluster("slurm", { layout, hosts, mungeKey: this.mungeKey, drainReason: `ie-infra stack ${pulumi.getStack()}: drain: true` }, { parent: this });
      slurm = {
        clusterName: layout.spec.clusterName,
        controller: layout.controller.name,
        partitions: layout.spec.partitions.map((p) => ({ name: p.name, nodes: p.nodes, default: p.default })),
        nodes: layout.computeNodes.map((h) => (h.gpus ? { name: h.name, gres: gresOf(h.gpus) } : { name: h.name })),
      };
    }

    const containerHostMap = new Map<string, ContainerHost>();
    let containers: ContainersSummary | undefined;
    if (inventory.containers !== undefined) {
      const layouts = containerHosts(inventory);
      const program = layouts.length > 0 ? ieProgramBundle() : "";
      for (const layout of layouts) {
        const host = this.hostNamed(layout.host.name);
        containerHostMap.set(layout.host.name, new ContainerHost(`${layout.host.name}-containers`, { host, layout, program }, { parent: this }));
      }
      containers = { hosts: layouts.map((l) => l.host.name), pool: inventory.containers.ipPool, network: POOL_NETWORK, reapAfterSeconds: inventory.containers.reapAfter };
    }
    this.containerHosts = containerHostMap;

    // The users' guide on every host users log in to; after ie-podman where there is one (the login message calls it).
    const files = guideFiles(inventory);
    const guides = new Map<string, UserGuide>();
    for (const name of guideHosts(inventory)) {
      const containerHost = containerHostMap.get(name);
      guides.set(name, new UserGuide(`${name}-guide`, { host: this.hostNamed(name), files, dependsOn: containerHost !== undefined ? [containerHost.ready] : [] }, { parent: this }));
    }
    this.guides = guides;

    const rentals = new Map<string, RentalVm>();
    if (inventory.vms !== undefined) {
      if (this.ceph === undefined) throw new Error("vms: VM disks live on Ceph RBD: the stack needs an ie:ceph section");
      const layout = vmLayout(inventory);
      const cephReady = [this.ceph.healthy];
      const vmHosts = new Map<string, VmHost>();
      layout.vmHosts.forEach((spec, i) => {
        const host = this.hostNamed(spec.name);
        vmHosts.set(spec.name, new VmHost(`${spec.name}-vm-host`, { host, layout, importsGoldenImage: i === 0, cephReady }, { parent: this }));
      });
      const golden = [...vmHosts.values()].flatMap((v) => (v.golden ? [v.golden] : []));
      for (const rental of layout.rentals) {
        const vmHost = vmHosts.get(rental.host);
        if (vmHost === undefined) throw new Error(`rental ${rental.name}: ${rental.host} is not a VM host`);
        rentals.set(rental.name, new RentalVm(`rental-${rental.name}`, { host: this.hostNamed(rental.host), layout, rental, dependsOn: [...vmHost.ready, ...golden], vmHostNames: [...vmHosts.keys()] }, { parent: this }));
      }
    }
    this.rentals = rentals;

    this.outputs = {
      hosts: Object.fromEntries(inventory.hosts.map((h) => [h.name, { address: h.address, roles: h.roles }])),
      ...(ceph !== undefined ? { ceph } : {}),
      ...(slurm !== undefined ? { slurm } : {}),
      ...(containers !== undefined ? { containers } : {}),
      ...(rentals.size > 0 ? { rentals: Object.fromEntries([...rentals].map(([n, r]) => [n, r.summary])) } : {}),
    };
    this.registerOutputs({});
  }

  /** Ceph's guard on its admin host (the first serving mon), Slurm's on the controller. */
  private departureGuards(inventory: Inventory): pulumi.Resource[] {
    const guards: pulumi.Resource[] = [];
    if (inventory.ceph !== undefined) {
      const layout = cephLayout(inventory);
      const admin = layout.mons[0];
      if (admin !== undefined) guards.push(cephDepartureGuard(layout, this.hostNamed(admin.name)));
    }
    if (inventory.slurm !== undefined) {
      const layout = slurmLayout(inventory);
      guards.push(slurmDepartureGuard(layout, this.hostNamed(layout.controller.name)));
    }
    return guards;
  }

  private hostNamed(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`host ${name} is not in the inventory's hosts`);
    return host;
  }
}
