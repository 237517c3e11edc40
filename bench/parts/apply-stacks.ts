/**
 * The stack files of the `apply` part, made from the lab stack's text (pure): a Slurm-only department on two
 * hosts of their own, as the peer Ansible role deploys it (a controller and one GPU node), and the same with one
 * reconfigure-class setting changed.
 */
import { parseDocument } from "yaml";

/** The two hosts of the Slurm-only stack: addresses of the lab network that the lab stack does not use. */
export const SLURM_ONLY_HOSTS: readonly { readonly name: string; readonly address: string; readonly roles: readonly string[]; readonly gpus?: { readonly type: string; readonly count: number } }[] = [
  { name: "lab5", address: "10.77.0.15", roles: ["slurm-controller"] },
  { name: "lab6", address: "10.77.0.16", roles: ["slurm-compute"], gpus: { type: "tesla", count: 2 } },
];

/**
 * The lab stack with only Slurm: its hosts replaced by lab5 (controller) and lab6 (GPU node), Ceph, rentals and
 * containers left out, the partition on lab6. `messageTimeout` set when given (a reconfigure-class setting).
 */
export function slurmOnlyStack(labStackText: string, messageTimeout?: number): string {
  const doc = parseDocument(labStackText);
  const hosts = SLURM_ONLY_HOSTS.map((h) => ({
    name: h.name,
    address: h.address,
    hostKey: `file:.lab/hostkeys/${h.name}.pub`,
    os: "debian-13",
    roles: [...h.roles],
    cpus: h.roles.includes("slurm-compute") ? 8 : 2,
    memory: "2GiB",
    ...(h.gpus !== undefined ? { gpus: { ...h.gpus } } : {}),
  }));
  doc.setIn(["config", "ie:hosts"], doc.createNode(hosts));
  for (const section of ["ie:ceph", "ie:vms", "ie:containers"]) doc.deleteIn(["config", section]);
  // Caps of ie-podman mean nothing without containers (the validator says so): the users as plain accounts.
  const users = (doc.getIn(["config", "ie:users"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
  doc.setIn(["config", "ie:users"], doc.createNode(users.map(({ containerCaps: _caps, ...user }) => user)));
  const compute = hosts.filter((h) => h.roles.includes("slurm-compute")).map((h) => h.name);
  doc.setIn(["config", "ie:slurm", "partitions"], doc.createNode([{ name: "gpu", nodes: compute, default: true, maxTime: "1d", defaultTime: "1h" }]));
  if (messageTimeout !== undefined) doc.setIn(["config", "ie:slurm", "messageTimeout"], messageTimeout);
  return doc.toString({ lineWidth: 0 });
}
