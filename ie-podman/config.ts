/**
 * What ie-podman knows about its host, from /etc/ie-podman/config.json (written by the containers
 * component from the inventory; root-owned, never read from anything the user can set).
 */
import { readFileSync } from "node:fs";
// zod/mini: the same checks with a tree-shakable API; the full zod was most of the bundle node loads on every call.
import * as z from "zod/mini";
import "./zod-messages";

export const CONFIG_PATH = "/etc/ie-podman/config.json";

const limit = z.strictObject({ default: z.number().check(z.positive()), max: z.number().check(z.positive()) });
const caps = z.strictObject({ maxContainers: z.int().check(z.minimum(1)), maxAddresses: z.int().check(z.minimum(0)), maxGpus: z.int().check(z.minimum(0)) });

export const hostConfigSchema = z.strictObject({
  /** The Podman network of the address pool (`--ip`). */
  network: z.string().check(z.minLength(1)),
  /** The pool's CIDR, as the inventory gives it. */
  pool: z.string().check(z.minLength(1)),
  /** GPUs of this host (0 without). */
  gpus: z.int().check(z.minimum(0)),
  /** GPU device node prefix: GPU N is `${devicePrefix}N`. */
  devicePrefix: z.string().check(z.startsWith("/dev/")),
  /** Driver nodes every GPU container also needs (nvidiactl, nvidia-uvm), passed when they exist. */
  sharedGpuDevices: z.array(z.string().check(z.startsWith("/dev/"))),
  /** Stopped containers older than this many seconds are removed by `ie-podman reap`. */
  reapAfterSeconds: z.int().check(z.minimum(1)),
  /** `ie-podman build` runs RUN steps with `--userns=auto` (see the inventory's buildUserNamespace). */
  buildUserNamespace: z.boolean(),
  /** The lease ledger (JSON, root 0600) and its lock. */
  ledger: z.string().check(z.startsWith("/")),
  /** JSON lines, one per action: who, what, the decision. */
  auditLog: z.string().check(z.startsWith("/")),
  /** Default and ceiling per container: memory and shm in bytes, CPUs, pids. */
  limits: z.strictObject({ memory: limit, cpus: limit, pids: limit, shm: limit }),
  /** What one user may hold at once (the stack's containers.max*PerUser). */
  caps,
  /** Users with caps of their own (users[].containerCaps), by uid. */
  userCaps: z.record(z.string().check(z.regex(/^\d+$/)), caps),
  /**
   * Present while the host is drained for the refresh (the inventory's `drain`): no new container starts here
   * (see drain.ts). `otherHosts`: the container hosts users can go to instead (none draining). Absent otherwise.
   */
  drain: z.optional(z.strictObject({ otherHosts: z.array(z.string().check(z.minLength(1))) })),
  /**
   * Present exactly on hosts whose GPUs Slurm owns (slurm-compute and container-host with GPUs): `run --gpu`
   * allocates them in Slurm in the caller's name (slurm-gpus.ts) instead of from the ledger. `node`: this host's
   * Slurm node name; `gresType`: its GPUs' GRES type; `maxTimeMinutes`: the longest allocation (`--time`).
   */
  slurm: z.optional(
    z.strictObject({
      node: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
      partition: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
      gresType: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/)),
      maxTimeMinutes: z.int().check(z.minimum(1)),
    }),
  ),
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
