/**
 * The lab's plan, read from `stacks/Pulumi.lab.yaml` with the same schema as the Pulumi program: which
 * hosts to boot (name, address, roles, GPUs) on which subnet. The bridge takes the subnet's first address
 * and is every host's gateway. `planFromStackText` is pure; `loadLabPlan` reads the lab stack file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import ipaddr from "ipaddr.js";
import { parseDocument } from "yaml";
import { inventorySchema, type Role } from "../../components/inventory/schema";
import { labStackPath, projectRoot } from "./paths";

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
}

/** The small bootable image the lab makes on its VM hosts (the stack's golden image source). */
export interface LabGoldenImage {
  /** vms.goldenImage.source: where the raw image is written. */
  readonly image: string;
  /** vms.directBoot: where the VM host's kernel and initrd are copied for the guests. */
  readonly kernel: string;
  readonly initrd: string;
  /** The image's virtual size in bytes: the VM defaults' disk (a rental clone starts at this size). */
  readonly size: number;
}

export interface LabPlan {
  /** The lab subnet in CIDR notation, e.g. `10.77.0.0/24`. */
  readonly subnet: string;
  readonly prefixLength: number;
  /** The bridge's address and every host's gateway: the subnet's first address. */
  readonly gateway: string;
  readonly bridge: string;
  readonly hosts: readonly LabHostSpec[];
  /** Present when the stack rents VMs with direct kernel boot (the lab's way). */
  readonly goldenImage?: LabGoldenImage;
}

/** Thrown when the stack file cannot describe a lab; the message says where and what to fix. */
export class LabPlanError extends Error {}

/** The plan of the lab described by the stack file's text; `source` names the file in errors. */
export function planFromStackText(text: string, source: string): LabPlan {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new LabPlanError(`${source}: not valid YAML:\n${doc.errors.map((e) => e.message).join("\n")}`);
  }
  const raw: unknown = doc.toJS();
  const config = isRecord(raw) && isRecord(raw.config) ? raw.config : undefined;
  if (config === undefined) throw new LabPlanError(`${source}: no 'config:' section`);

  // The schema describes the `ie:` namespace without its prefix; other namespaces are not ours.
  const inventoryInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith("ie:")) inventoryInput[key.slice(3)] = value;
  }
  const parsed = inventorySchema.safeParse(inventoryInput);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ie:${i.path.join(".")}: ${i.message}`);
    throw new LabPlanError(`${source}: the lab stack does not validate:\n${lines.join("\n")}`);
  }
  const inventory = parsed.data;

  const [network, prefixLength] = ipaddr.IPv4.parseCIDR(inventory.site.hostNetwork);
  const subnet = `${ipaddr.IPv4.networkAddressFromCIDR(inventory.site.hostNetwork).toString()}/${prefixLength}`;
  const gateway = firstAddress(inventory.site.hostNetwork);
  const problems: string[] = [];
  for (const host of inventory.hosts) {
    const address = ipaddr.IPv4.parse(host.address);
    if (!address.match(network, prefixLength)) {
      problems.push(`  host ${host.name}: address ${host.address} is outside the lab subnet ${subnet}`);
    } else if (host.address === gateway) {
      problems.push(`  host ${host.name}: address ${host.address} is the bridge's (the subnet's first address)`);
    }
  }
  if (problems.length > 0) throw new LabPlanError(`${source}:\n${problems.join("\n")}`);

  return {
    subnet,
    prefixLength,
    gateway,
    bridge: LAB_BRIDGE,
    hosts: inventory.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      roles: h.roles,
      ...(h.gpus ? { gpus: { type: h.gpus.type, count: h.gpus.count, devicePrefix: h.gpus.devicePrefix } } : {}),
    })),
    ...(inventory.vms?.directBoot !== undefined
      ? {
          goldenImage: {
            image: inventory.vms.goldenImage.source,
            kernel: inventory.vms.directBoot.kernel,
            initrd: inventory.vms.directBoot.initrd,
            size: inventory.vms.defaults.disk,
          },
        }
      : {}),
  };
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

/** The plan of `stacks/Pulumi.lab.yaml`. */
export function loadLabPlan(file: string = labStackPath()): LabPlan {
  return planFromStackText(readFileSync(file, "utf8"), path.relative(projectRoot(), file));
}
