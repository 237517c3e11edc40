/**
 * The lab's plan, read from a stack file (`stacks/Pulumi.lab.yaml` unless `--config-file` names another) with
 * the project's own loader, so a broken file is reported as `npm run validate` reports it (file, line, field):
 * which hosts to boot (name, address, roles, GPUs, where their host key is pinned) on which subnet. The bridge
 * takes the subnet's first address and is every host's gateway. `planFromStackText` is pure; `loadLabPlan`
 * reads a file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import ipaddr from "ipaddr.js";
import { parseDocument } from "yaml";
import { formatDiagnostic } from "../../components/inventory/diagnostics";
import { loadStackText } from "../../components/inventory/load";
import { inventorySchema, type Role } from "../../components/inventory/schema";
import { hostKeysDir, labStackPath, projectRoot, userKeysDir } from "./paths";

/** Names this lab owns on the machine: one lab per machine, so they are fixed. */
export const LAB_BRIDGE = "ie-lab0";
export const LAB_NFT_TABLE = "ie_lab";
export const LAB_CGROUP = "ie-lab";

export interface LabGpus {
  readonly type: string;
  readonly count: number;
  /** GPU i is `${devicePrefix}${i}`. */
  readonly devicePrefix: string;
}

export interface LabHostSpec {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly Role[];
  readonly gpus?: LabGpus;
  /**
   * Where `up` pins the host's SSH key, relative to the project root: the stack's `hostKey: file:PATH`, which
   * must lie in `.lab/hostkeys/` (e.g. `.lab/hostkeys/lab4.pub`).
   */
  readonly hostKeyFile: string;
}

/** Where the lab puts its guest image on its VM hosts (the stack's golden image source and direct boot files). */
export interface LabGoldenImage {
  /** vms.goldenImage.source: where the raw image is written. */
  readonly image: string;
  /** vms.directBoot: where the VM host's kernel and initrd are copied for the guests. */
  readonly kernel: string;
  readonly initrd: string;
}

export interface LabPlan {
  /** The stack file the plan was read from, as given in messages (relative to the project root when inside it). */
  readonly source: string;
  /** The lab subnet in CIDR notation, e.g. `10.77.0.0/24`. */
  readonly subnet: string;
  readonly prefixLength: number;
  /** The bridge's address and every host's gateway: the subnet's first address. */
  readonly gateway: string;
  readonly bridge: string;
  readonly hosts: readonly LabHostSpec[];
  /** Present when the stack rents VMs with direct kernel boot (the lab's way). */
  readonly goldenImage?: LabGoldenImage;
  /**
   * The rental owners' keys the lab makes (`sshKey: file:.lab/userkeys/<x>.pub`): their private halves stay
   * on this machine, as a student's stay on theirs. Project-relative .pub paths.
   */
  readonly ownerKeys: readonly { readonly owner: string; readonly file: string }[];
}

/** Thrown when the stack file cannot describe a lab; the message says where and what to fix. */
export class LabPlanError extends Error {}

/** Where the lab pins a host's key unless its stack says otherwise: `.lab/hostkeys/<host>.pub`. */
export function defaultHostKeyFile(host: string): string {
  return path.relative(projectRoot(), path.join(hostKeysDir(), `${host}.pub`));
}

/**
 * The project-relative file a `hostKey` value pins the key in, or why the lab cannot use it: the lab makes its
 * hosts anew (their keys are generated at first boot), so the key must be a `file:` the lab writes, and the
 * lab writes only inside its own `.lab/hostkeys/`.
 */
export function labHostKeyFile(host: string, hostKey: string): { readonly file: string } | { readonly problem: string } {
  const want = `write hostKey: file:${defaultHostKeyFile(host)}`;
  if (!hostKey.startsWith("file:")) {
    return { problem: `host ${host}: hostKey is a key, but a lab host gets a new key at its first boot: ${want}` };
  }
  const absolute = path.resolve(projectRoot(), hostKey.slice("file:".length));
  const inside = path.relative(hostKeysDir(), absolute);
  if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside) || !inside.endsWith(".pub")) {
    return { problem: `host ${host}: hostKey ${hostKey} is not a .pub file in .lab/hostkeys/, where the lab pins the keys it reads back: ${want}` };
  }
  return { file: path.relative(projectRoot(), absolute) };
}

/** The rentals' `file:` SSH keys inside `.lab/userkeys/`, which the lab makes when they are missing. */
function labOwnerKeys(rentals: readonly { readonly owner: string; readonly sshKey: string }[]): { owner: string; file: string }[] {
  const keys: { owner: string; file: string }[] = [];
  for (const r of rentals) {
    if (!r.sshKey.startsWith("file:")) continue;
    const absolute = path.resolve(projectRoot(), r.sshKey.slice("file:".length));
    const inside = path.relative(userKeysDir(), absolute);
    if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside) || !inside.endsWith(".pub")) continue;
    const file = path.relative(projectRoot(), absolute);
    if (!keys.some((k) => k.file === file)) keys.push({ owner: r.owner, file });
  }
  return keys;
}

/** The plan of the lab described by the stack file's text; `source` names the file in errors. */
export function planFromStackText(text: string, source: string): LabPlan {
  // The project's loader: YAML, schema, cross-field rules and host key files, every problem with file:line.
  // Host key files that do not exist yet are what `up` is about to write: not an error here.
  const loaded = loadStackText(text, source, { baseDir: projectRoot(), missingHostKeyFile: "warning" });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || loaded.inventory === undefined) {
    throw new LabPlanError(`${source} does not validate (check it with 'npm run validate -- ${source}'):\n${errors.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`);
  }
  // The loader replaced `file:` host keys by the keys they hold; the lab needs the file names themselves.
  const inventory = rawInventory(text, source);

  const [network, prefixLength] = ipaddr.IPv4.parseCIDR(inventory.site.hostNetwork);
  const subnet = `${ipaddr.IPv4.networkAddressFromCIDR(inventory.site.hostNetwork).toString()}/${prefixLength}`;
  const gateway = firstAddress(inventory.site.hostNetwork);
  const problems: string[] = [];
  const keyFiles = new Map<string, string>();
  const hosts: LabHostSpec[] = [];
  for (const host of inventory.hosts) {
    const address = ipaddr.IPv4.parse(host.address);
    if (!address.match(network, prefixLength)) {
      problems.push(`  host ${host.name}: address ${host.address} is outside the lab subnet ${subnet}`);
    } else if (host.address === gateway) {
      problems.push(`  host ${host.name}: address ${host.address} is the bridge's (the subnet's first address)`);
    }
    const key = labHostKeyFile(host.name, host.hostKey);
    if ("problem" in key) {
      problems.push(`  ${key.problem}`);
      continue;
    }
    const other = keyFiles.get(key.file);
    if (other !== undefined) problems.push(`  host ${host.name}: hostKey file:${key.file} is ${other}'s too: each host needs its own file`);
    keyFiles.set(key.file, host.name);
    hosts.push({
      name: host.name,
      address: host.address,
      roles: host.roles,
      ...(host.gpus ? { gpus: { type: host.gpus.type, count: host.gpus.count, devicePrefix: host.gpus.devicePrefix } } : {}),
      hostKeyFile: key.file,
    });
  }
  if (problems.length > 0) throw new LabPlanError(`${source} cannot describe lab hosts:\n${problems.join("\n")}`);

  return {
    source,
    subnet,
    prefixLength,
    gateway,
    bridge: LAB_BRIDGE,
    hosts,
    ownerKeys: labOwnerKeys(inventory.vms?.rentals ?? []),
    ...(inventory.vms?.directBoot !== undefined
      ? {
          goldenImage: {
            image: inventory.vms.goldenImage.source,
            kernel: inventory.vms.directBoot.kernel,
            initrd: inventory.vms.directBoot.initrd,
          },
        }
      : {}),
  };
}

/** The `ie:` keys through the schema alone (defaults applied, `file:` host keys kept as written). */
function rawInventory(text: string, source: string) {
  const raw: unknown = parseDocument(text).toJS();
  const config = isRecord(raw) && isRecord(raw.config) ? raw.config : {};
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith("ie:")) input[key.slice(3)] = value;
  const parsed = inventorySchema.safeParse(input);
  // The loader accepted the file, so the schema does too; this is a guard, not a check.
  if (!parsed.success) throw new LabPlanError(`${source}: the lab stack does not validate: ${parsed.error.message}`);
  return parsed.data;
}

/** The first usable address of an IPv4 network (network address + 1). */
export function firstAddress(cidr: string): string {
  const bytes = ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray();
  const value = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3] + 1;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a stack file is named in messages: relative to the project root when it lies inside it. */
export function displayName(file: string): string {
  const relative = path.relative(projectRoot(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/**
 * The plan of a stack file (default `stacks/Pulumi.lab.yaml`; a relative path is taken from the current
 * directory, as `apply --config-file` takes it). A file that is missing or unreadable is a LabPlanError too.
 */
export function loadLabPlan(file: string = labStackPath()): LabPlan {
  const absolute = path.resolve(file);
  const source = displayName(absolute);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a stack file" : String(err);
    throw new LabPlanError(`${source}: cannot read the stack file: ${why}`);
  }
  return planFromStackText(text, source);
}
