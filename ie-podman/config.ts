/**
 * What ie-podman knows about its host, from /etc/ie-podman/config.json (written by the containers
 * component from the inventory; root-owned, never read from anything the user can set).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export const CONFIG_PATH = "/etc/ie-podman/config.json";

const limit = z.strictObject({ default: z.number().positive(), max: z.number().positive() });
const caps = z.strictObject({ maxContainers: z.int().min(1), maxAddresses: z.int().min(0), maxGpus: z.int().min(0) });

export const hostConfigSchema = z.strictObject({
  /** The Podman network of the address pool (`--ip`). */
  network: z.string().min(1),
  /** The pool's CIDR, as the inventory gives it. */
  pool: z.string().min(1),
  /** GPUs of this host (0 without). */
  gpus: z.int().min(0),
  /** GPU device node prefix: GPU N is `${devicePrefix}N`. */
  devicePrefix: z.string().startsWith("/dev/"),
  /** Driver nodes every GPU container also needs (nvidiactl, nvidia-uvm), passed when they exist. */
  sharedGpuDevices: z.array(z.string().startsWith("/dev/")),
  /** Stopped containers older than this many seconds are removed by `ie-podman reap`. */
  reapAfterSeconds: z.int().min(1),
  /** `ie-podman build` runs RUN steps with `--userns=auto` (see the inventory's buildUserNamespace). */
  buildUserNamespace: z.boolean(),
  /** The lease ledger (JSON, root 0600) and its lock. */
  ledger: z.string().startsWith("/"),
  /** JSON lines, one per action: who, what, the decision. */
  auditLog: z.string().startsWith("/"),
  /** Default and ceiling per container: memory and shm in bytes, CPUs, pids. */
  limits: z.strictObject({ memory: limit, cpus: limit, pids: limit, shm: limit }),
  /** What one user may hold at once (the stack's containers.max*PerUser). */
  caps,
  /** Users with caps of their own (users[].containerCaps), by uid. */
  userCaps: z.record(z.string().regex(/^\d+$/), caps),
  /**
   * Present while the host is drained for the refresh (the inventory's `drain`): no new container starts here
   * (see drain.ts). `otherHosts`: the container hosts users can go to instead (none draining). Absent otherwise.
   */
  drain: z.strictObject({ otherHosts: z.array(z.string().min(1)) }).optional(),
  /**
   * Present exactly on hosts whose GPUs Slurm owns (slurm-compute and container-host with GPUs): `run --gpu`
   * allocates them in Slurm in the caller's name (slurm-gpus.ts) instead of from the ledger. `node`: this host's
   * Slurm node name; `gresType`: its GPUs' GRES type; `maxTimeMinutes`: the longest allocation (`--time`).
   */
  slurm: z
    .strictObject({
      node: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
      partition: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
      gresType: z.string().regex(/^[a-z][a-z0-9_]*$/),
      maxTimeMinutes: z.int().min(1),
    })
    .optional(),
});

export type HostConfig = z.infer<typeof hostConfigSchema>;

/** The host's configuration; an error naming the file and the field when it is unusable. */
export function loadHostConfig(file = CONFIG_PATH): HostConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message} (the containers component writes it; run the stack's apply)`);
  }
  const parsed = hostConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The caps that apply to `uid`, and whether they are the user's own or the section's. */
export function capsFor(config: HostConfig, uid: number): { caps: HostConfig["caps"]; source: "section" | "user" } {
  const own = Object.hasOwn(config.userCaps, String(uid)) ? config.userCaps[String(uid)] : undefined;
  return own !== undefined ? { caps: own, source: "user" } : { caps: config.caps, source: "section" };
}
