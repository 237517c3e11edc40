/**
 * Lab stack files for growing the lab: the lab stack with one more host, as an admin would write it at the
 * yearly refresh. Used by the unit tests, and to try `up --config-file` on a live lab:
 *
 *   npx tsx scripts/lab/stack-fixtures.ts .lab/stacks/grow/Pulumi.lab.yaml   # writes the four-host file
 *   npm run lab -- up --config-file .lab/stacks/grow/Pulumi.lab.yaml
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isSeq, parseDocument } from "yaml";
import { labStackPath } from "./paths";

/** A fourth lab host: a GPU node like lab2 and lab3, at the next address, its key pinned where the lab pins keys. */
export const FOURTH_HOST = {
  name: "lab4",
  address: "10.77.0.14",
  hostKey: "file:.lab/hostkeys/lab4.pub",
  os: "debian-13",
  roles: ["slurm-compute", "container-host"],
  cpus: 8,
  memory: "4GiB",
  gpus: { type: "tesla", count: 2 },
} as const;

/** The text of a stack file: `text` with `host` appended to ie:hosts and, when it computes, to the first Slurm partition. */
export function withHost(text: string, host: Readonly<Record<string, unknown>>): string {
  const doc = parseDocument(text);
  const hosts = doc.getIn(["config", "ie:hosts"]);
  if (!isSeq(hosts)) throw new Error("the stack has no ie:hosts list");
  hosts.add(doc.createNode(host));
  const nodes = doc.getIn(["config", "ie:slurm", "partitions", 0, "nodes"]);
  const roles = host.roles;
  if (isSeq(nodes) && Array.isArray(roles) && roles.includes("slurm-compute")) nodes.add(host.name);
  return doc.toString();
}

/** The lab stack with FOURTH_HOST. */
export function fourHostLabStack(): string {
  return withHost(readFileSync(labStackPath(), "utf8"), FOURTH_HOST);
}

if (require.main === module) {
  const out = process.argv[2];
  if (out === undefined || process.argv.length > 3) {
    process.stderr.write("usage: npx tsx scripts/lab/stack-fixtures.ts OUT\nwrites the lab stack with a fourth host (lab4, 10.77.0.14) to OUT\n");
    process.exit(2);
  }
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, fourHostLabStack());
  process.stdout.write(`wrote ${out}: the lab stack with ${FOURTH_HOST.name} (${FOURTH_HOST.address})\n`);
}
