/**
 * The one schema of a stack definition (`stacks/Pulumi.<stack>.yaml`, namespace `ie:`), shared by the
 * Pulumi program and `npm run validate`. It checks shapes, types, units and unknown keys and applies the
 * defaults; cross-field rules (unique names, quorum, capacity, overlaps) live in `semantic.ts`.
 *
 * Objects are strict: an unknown key is an error, because a typo (`osd:` for `osds:`) would otherwise
 * silently drop part of the department.
 */
import { z } from "zod";
import { DURATION_HINT, SIZE_HINT, parseDuration, parseSize } from "./units";

/** Every role a host can carry. */
export const ROLES = [
  "ceph-mon",
  "ceph-mgr",
  "ceph-osd",
  "ceph-mds",
  "slurm-controller",
  "slurm-compute",
  "vm-host",
  "container-host",
] as const;
export type Role = (typeof ROLES)[number];

/** Operating systems of the apt family that the Host layer knows how to configure. */
export const OPERATING_SYSTEMS = ["debian-12", "debian-13", "ubuntu-22.04", "ubuntu-24.04"] as const;
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

/** Names of hosts, pools, partitions, users...: also safe as a file name (the lab names directories after hosts). */
export const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
const name = (what: string) =>
  z.string().regex(NAME_RE, { error: `${what} must be lower-case letters, digits and '-', starting with a letter` });

const size = z.string({ error: SIZE_HINT }).transform((text, ctx) => {
  const bytes = parseSize(text);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: "custom", message: `'${text}' is not a positive size: ${SIZE_HINT}` });
    return z.NEVER;
  }
  return bytes;
});

const duration = z.string({ error: DURATION_HINT }).transform((text, ctx) => {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds <= 0) {
    ctx.addIssue({ code: "custom", message: `'${text}' is not a positive duration: ${DURATION_HINT}` });
    return z.NEVER;
  }
  return seconds;
});

const ipv4 = z.ipv4({ error: "must be an IPv4 address such as 10.10.0.11" });
const cidr = z.cidrv4({ error: "must be an IPv4 network in CIDR notation such as 10.20.0.0/22" });
const absolutePath = z.string().regex(/^\/\S*$/, { error: "must be an absolute path such as /dev/sdb" });
const positiveInt = z.int({ error: "must be a whole number" }).positive({ error: "must be greater than 0" });
const port = z.int().min(1).max(65535, { error: "must be a TCP port (1-65535)" });
/** An OpenSSH public key line: `TYPE BASE64 [comment]`. Also what a `hostKey: file:PATH` file must hold. */
export const SSH_PUBLIC_KEY_RE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/;
const sshPublicKey = z
  .string()
  .regex(SSH_PUBLIC_KEY_RE, {
    error: "must be an OpenSSH public key line such as 'ssh-ed25519 AAAA... comment'",
  });

export const gpuSchema = z.strictObject({
  /** GPU model as Slurm's GRES type, e.g. `tesla`; jobs ask for it with `--gpus tesla:1`. */
  type: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: "GPU type must be a lower-case word such as tesla" }),
  /** Number of GPUs of that type in the host. */
  count: positiveInt,
  /** Device node prefix; GPU i is `${devicePrefix}${i}`. Defaults to `/dev/nvidia`. */
  devicePrefix: absolutePath.default("/dev/nvidia"),
});

export const osdSchema = z.strictObject({
  /** Whole disk (production, `ceph-volume lvm`) or backing file (lab, file-backed bluestore). */
  device: absolutePath,
  /** CRUSH device class. */
  class: z.enum(["ssd", "hdd", "nvme"], { error: "class must be ssd, hdd or nvme" }),
  /** Allow destroying existing data on the device. Defaults to false: a used device is refused. */
  wipe: z.boolean().default(false),
  /** Size of the backing file for file-backed OSDs. Required for `osdBackend: file`. */
  size: size.optional(),
});

export const hostSchema = z.strictObject({
  name: name("host name"),
  address: ipv4,
  /** SSH login user. Defaults to root. */
  sshUser: z.string().default("root"),
  /** SSH port. Defaults to 22. */
  sshPort: port.default(22),
  /**
   * The host's SSH public host key (`ssh-ed25519 AAAA...`), pinned: a host presenting another key is refused.
   * `file:PATH` reads it from a file relative to the project (the lab writes the keys it reads back there).
   */
  hostKey: z.union([sshPublicKey, z.string().regex(/^file:\S+$/)], {
    error: "must be an OpenSSH public key line ('ssh-ed25519 AAAA...') or file:PATH of one",
  }),
  os: z.enum(OPERATING_SYSTEMS, { error: `os must be one of ${OPERATING_SYSTEMS.join(", ")}` }).default("debian-13"),
  roles: z
    .array(z.enum(ROLES, { error: `unknown role: known roles are ${ROLES.join(", ")}` }))
    .min(1, { error: "a host needs at least one role" }),
  cpus: positiveInt,
  memory: size,
  gpus: gpuSchema.optional(),
  osds: z.array(osdSchema).default([]),
  /**
   * The yearly refresh: move everything off this host while it stays in the stack. Its OSDs go out until
   * every PG is active+clean and safe-to-destroy agrees; its mon leaves the monmap; its mgr and MDS stop once
   * a standby serves; its Slurm node is DRAINed; ie-podman refuses new containers on it. Then remove the
   * host from the stack. Defaults to false.
   */
  drain: z.boolean().default(false),
  /** How long a drain waits for running Slurm jobs and containers on the host. Defaults to 1h. */
  drainTimeout: duration.prefault("1h"),
  /** With `drain`: stop and remove the containers still running at `drainTimeout` (audit-logged). Defaults to false. */
  force: z.boolean().default(false),
});

export const poolSchema = z.strictObject({
  name: name("pool name"),
  /** Ceph application tag: `rbd` pools are initialised with `rbd pool init`. */
  application: z.enum(["rbd", "cephfs", "rgw"]),
  /** Replicas. Defaults to 3. */
  size: positiveInt.default(3),
  /** Replicas needed to serve I/O. Defaults to size - 1 (at least 1). */
  minSize: positiveInt.optional(),
  /** CRUSH device class the pool lives on (e.g. `ssd` for core services). Defaults to any class. */
  deviceClass: z.enum(["ssd", "hdd", "nvme"]).optional(),
  /** PG autoscaler mode. Defaults to on. */
  pgAutoscale: z.enum(["on", "warn", "off"]).default("on"),
});

export const cephSchema = z.strictObject({
  /** Network the mons and clients use. Defaults to the site's host network. */
  publicNetwork: cidr.optional(),
  /** How OSDs are made: `lvm` (whole disks, production) or `file` (file-backed bluestore, lab). Defaults to lvm. */
  osdBackend: z.enum(["lvm", "file"]).default("lvm"),
  /** How CephFS is mounted on clients: kernel client (default) or ceph-fuse (hosts without the module). */
  mountMethod: z.enum(["kernel", "fuse"]).default("kernel"),
  /** `osd_memory_target` per OSD. Defaults to 4GiB (Ceph's default). */
  osdMemoryTarget: size.prefault("4GiB"),
  /** Health warnings the gates accept besides HEALTH_OK (check names such as `MON_DISK_LOW`). */
  acceptedHealthWarnings: z.array(z.string()).default([]),
  /** Extra `[global]` settings of ceph.conf (`mon_data_avail_warn: 5`). Defaults to none. */
  settings: z
    .record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: "a Ceph setting is written in snake_case, such as mon_data_avail_warn" }), z.union([z.string(), z.number()]))
    .default({}),
  pools: z.array(poolSchema).default([]),
  cephfs: z
    .strictObject({
      name: name("file system name"),
      metadataPool: poolSchema.omit({ application: true }),
      dataPool: poolSchema.omit({ application: true }),
      /** Where CephFS is mounted on compute and container hosts. Defaults to /home. */
      mountPoint: absolutePath.default("/home"),
    })
    .optional(),
});

export const partitionSchema = z.strictObject({
  name: name("partition name"),
  /** Compute hosts in the partition. */
  nodes: z.array(z.string()).min(1, { error: "a partition needs at least one node" }),
  /** The partition jobs land in without `-p`. Exactly one partition should say true. */
  default: z.boolean().default(false),
  /** Longest run time a job may ask for. Defaults to unlimited. */
  maxTime: duration.optional(),
  /** Run time of a job that does not say. Defaults to maxTime. */
  defaultTime: duration.optional(),
  /** Most nodes one job may use. Defaults to unlimited. */
  maxNodes: positiveInt.optional(),
});

export const slurmSchema = z.strictObject({
  /** Slurm's ClusterName. Defaults to `ie`. */
  clusterName: name("cluster name").default("ie"),
  /** slurmctld's port. Defaults to 6817 (clashes with Ceph OSDs' 6800-7300 on a shared host). */
  controllerPort: port.default(6817),
  /** slurmd's port. Defaults to 6818. */
  nodePort: port.default(6818),
  /** Seconds Slurm waits for a message (a reconfigure-only setting). Defaults to 10. */
  messageTimeout: positiveInt.default(10),
  /**
   * Trust the node lines of slurm.conf over what slurmd detects (`SlurmdParameters=config_overrides`).
   * Needed where hosts report fewer CPUs than declared (the lab). Defaults to false.
   */
  configOverrides: z.boolean().default(false),
  partitions: z.array(partitionSchema).min(1, { error: "declare at least one partition" }),
});

export const vmDefaultsSchema = z.strictObject({
  /** Defaults to 1. */
  vcpus: positiveInt.default(1),
  /** Defaults to 1GiB. */
  memory: size.prefault("1GiB"),
  /** Defaults to 10GiB. */
  disk: size.prefault("10GiB"),
});

export const rentalSchema = z.strictObject({
  name: name("rental name"),
  /** The student or teacher the VM is lent to; their login in the VM. */
  owner: name("owner"),
  /**
   * The owner's SSH public key, put into the VM by cloud-init. `file:PATH` reads it from a file relative to
   * the project (the key file a student handed in; the lab makes its users' keys there).
   */
  sshKey: z.union([sshPublicKey, z.string().regex(/^file:\S+$/)], {
    error: "must be an OpenSSH public key line ('ssh-ed25519 AAAA...') or file:PATH of one",
  }),
  /** VM host that runs it. */
  host: z.string(),
  /** Static address inside the VM network. */
  ip: ipv4,
  /** Defaults to the VM defaults. */
  vcpus: positiveInt.optional(),
  memory: size.optional(),
  disk: size.optional(),
  /** Delete the RBD image when the rental is removed. Defaults to false: the disk is kept. */
  deleteDisk: z.boolean().default(false),
});

export const vmsSchema = z.strictObject({
  /** Network of the rental VMs. */
  network: cidr,
  /** Gateway of that network. Defaults to its first address. */
  gateway: ipv4.optional(),
  /**
   * Each VM host holds the gateway address on its own bridge, so that its guests' traffic and an admin's SSH
   * (through the VM host) reach them with no router: for bridges without an uplink, such as the lab's.
   * Defaults to false: the gateway is a router on the uplink the admin adds to the bridge.
   */
  gatewayOnHost: z.boolean().default(false),
  /** Linux bridge on each VM host that VMs attach to. Defaults to `br-vm`. */
  bridge: z.string().default("br-vm"),
  /** libvirt domain type: `kvm` in production, `qemu` (TCG) where there is no usable KVM. Defaults to kvm. */
  domainType: z.enum(["kvm", "qemu"]).default("kvm"),
  /** Ceph pool holding the VM disks (must be an rbd pool). */
  pool: z.string(),
  defaults: vmDefaultsSchema.prefault({}),
  goldenImage: z.strictObject({
    /** RBD image name of the golden image. */
    name: name("image name"),
    /** A path on the VM host or an http(s) URL of a raw/qcow2 image. */
    source: z.string().regex(/^(\/\S+|https?:\/\/\S+)$/, { error: "source must be an absolute path on the VM host or an http(s) URL" }),
  }),
  /**
   * Boot a kernel and initrd from the VM host instead of the image's own boot loader (images without one,
   * such as the lab's). Defaults to the image's boot loader.
   */
  directBoot: z
    .strictObject({
      kernel: absolutePath,
      initrd: absolutePath,
      cmdline: z.string().default("console=ttyS0 root=/dev/sda rw"),
    })
    .optional(),
  /** How long a VM may take to shut down (ACPI) before a spec change powers it off. Defaults to 2m. */
  shutdownGrace: duration.prefault("2m"),
  /**
   * Settings of libvirt's /etc/libvirt/qemu.conf (`cgroup_controllers: []` where libvirt may not use
   * cgroups, as in the lab). Defaults to none.
   */
  qemuConf: z.record(z.string().regex(/^[a-z_]+$/), z.union([z.string(), z.number(), z.array(z.string())])).default({}),
  rentals: z.array(rentalSchema).default([]),
});

/** A per-container resource: what a container gets when it asks for nothing, and the most it may ask for. */
const limit = <T extends z.ZodType>(value: T) =>
  z.strictObject({
    /** What every container gets when its user asks for nothing. */
    default: value,
    /** The most a user may ask for (`--memory` and the like above it are refused). */
    max: value,
  });

const cpuCount = z.number({ error: "must be a number of CPUs such as 2 or 0.5" }).positive({ error: "must be greater than 0" });

/** Per-container resources of ie-podman's containers (fair share on a node that also runs Slurm jobs). */
export const containerLimitsSchema = z.strictObject({
  /** Memory (cgroup limit, no swap beyond it). Defaults to 2GiB, at most 8GiB. */
  memory: limit(size).prefault({ default: "2GiB", max: "8GiB" }),
  /** CPUs (CFS quota). Defaults to 1, at most 4. */
  cpus: limit(cpuCount).prefault({ default: 1, max: 4 }),
  /** Processes and threads. Defaults to 1024, at most 4096. */
  pids: limit(positiveInt).prefault({ default: 1024, max: 4096 }),
  /** /dev/shm (data loaders need more than Podman's 64 MiB). Defaults to 512MiB, at most 4GiB. */
  shm: limit(size).prefault({ default: "512MiB", max: "4GiB" }),
});

/** Per-user caps of ie-podman, held at once (running or stopped, until removed). */
export const containerCapsSchema = z.strictObject({
  /** Containers. */
  maxContainers: positiveInt.optional(),
  /** Addresses of the pool (`--ip`). */
  maxAddresses: z.int().min(0).optional(),
  /** GPUs (`--gpu`). */
  maxGpus: z.int().min(0).optional(),
});

export const containersSchema = z.strictObject({
  /** Address pool for `ie-podman run --ip` (any prefix length). */
  ipPool: cidr,
  /** Podman's image and container storage, on SSD. */
  storagePath: absolutePath,
  /** Stopped containers older than this are removed by the reaper. Defaults to 7d. */
  reapAfter: duration.prefault("7d"),
  /**
   * Where Apptainer comes from on OSes without a package (all the supported ones today): an apt source
   * line (`deb [check-valid-until=no] http://deb.debian.org/debian sid main`; that suite is pinned so only
   * apptainer comes from it) or the http(s) URL of a .deb. Required when a container host's OS has none.
   */
  apptainerSource: z
    .string()
    .regex(/^(deb\s+(\[[^\]]*\]\s+)?https?:\/\/\S+\s+\S+(\s+\S+)+|https?:\/\/\S+\.deb)$/, {
      error: "apptainerSource must be an apt line 'deb [OPTIONS] URI SUITE COMPONENT...' or the http(s) URL of a .deb",
    })
    .optional(),
  /**
   * Whether `ie-podman build` runs RUN steps in an automatic user namespace (`--userns=auto`: a build's
   * root is not the host's root). Needs a kernel whose overlayfs can shift layer ownership back. Defaults
   * to true.
   */
  buildUserNamespace: z.boolean().default(true),
  /**
   * Extra settings of Podman's containers.conf by table (`engine: { cgroup_manager: cgroupfs }`), for
   * hosts that need them (the lab's cgroup v1 and nspawn limits). Defaults to none.
   */
  containersConf: z
    .partialRecord(z.enum(["containers", "engine", "network"]), z.record(z.string().regex(/^[a-z_]+$/), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])))
    .default({}),
  /** Containers one user may hold on a host at once (running or stopped). Defaults to 10. */
  maxContainersPerUser: positiveInt.default(10),
  /** Pool addresses one user may hold on a host at once. Defaults to 4. */
  maxAddressesPerUser: z.int().min(0).default(4),
  /** GPUs one user may hold through ie-podman on a host at once. Defaults to 1. */
  maxGpusPerUser: z.int().min(0).default(1),
  /** Default and ceiling of every container's memory, CPUs, pids and /dev/shm. */
  limits: containerLimitsSchema.prefault({}),
  /**
   * The Slurm partition `ie-podman run --gpu` allocates GPUs in, on hosts that are both slurm-compute and
   * container-host and have GPUs (their GPUs then have one owner, Slurm). Must contain every such host.
   * Defaults to the stack's default partition.
   */
  gpuPartition: z.string().optional(),
  /**
   * The longest a GPU container's allocation may run in Slurm (`ie-podman run --time`, and what it gets without
   * one); the container is stopped when it ends. At most the partition's maxTime. Defaults to 1d, or the
   * partition's maxTime when that is shorter.
   */
  gpuMaxTime: duration.optional(),
});

export const userSchema = z.strictObject({
  name: name("user name"),
  uid: z.int().min(1000, { error: "uid must be 1000 or above (below are system accounts)" }).max(60000),
  /** Login key for the cluster's hosts. */
  sshKey: sshPublicKey.optional(),
  /**
   * This user's own ie-podman caps, in place of the containers section's per-user ones (a teacher running
   * a class's demo). Defaults to the section's.
   */
  containerCaps: containerCapsSchema.optional(),
});

export const siteSchema = z.strictObject({
  /** Network the hosts live on. */
  hostNetwork: cidr,
  /** Extra apt packages on every host. */
  extraPackages: z.array(z.string()).default([]),
  /**
   * Where users get help, as the users' guide and `ie-help` print it (a mail address, a room, a URL). Defaults
   * to "your course's teaching staff" (the guide says so when the stack names no one).
   */
  contact: z.string().trim().min(1, { error: "write who users ask (a mail address, a room, a URL), or leave contact out" }).optional(),
  /**
   * The image the users' guide's container examples use, as `ie-podman run` takes it. Defaults to
   * `docker.io/library/ubuntu:24.04`. The lab names an image made on its hosts (no registry reachable there).
   */
  exampleImage: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._\/:@-]*$/, { error: "an image reference such as docker.io/library/ubuntu:24.04" })
    .refine((s) => !s.includes(":/"), { error: "an image reference, not a transport (ie-podman refuses docker-archive:/PATH and the like)" })
    .default("docker.io/library/ubuntu:24.04"),
});

/** The whole `ie:` namespace of a stack file, keys without their `ie:` prefix. */
export const inventorySchema = z.strictObject({
  site: siteSchema,
  hosts: z.array(hostSchema).min(1, { error: "declare at least one host" }),
  users: z.array(userSchema).default([]),
  ceph: cephSchema.optional(),
  slurm: slurmSchema.optional(),
  vms: vmsSchema.optional(),
  containers: containersSchema.optional(),
});

/** Config keys in the `ie:` namespace that hold secrets, not inventory (set with `pulumi config set --secret`). */
export const SECRET_KEYS = ["sshPrivateKey"] as const;
