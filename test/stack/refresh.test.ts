/**
 * The yearly refresh under the mock runtime: the production stack with a new storage server (stor4, stor3's
 * roles) while stor3 drains, and a GPU node (gpu4) draining. The departure guards run before anything else
 * changes; the draining hosts hand over in Ceph's and Slurm's order; the new mon is in ceph.conf, the
 * leaving one is not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, setUpMockStack, unwrapSecrets, type MockStack, type RegisteredResource } from "../support/mocks";

type HostYaml = Record<string, unknown> & { name: string };

const STOR4_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHg0c2lFLFk6wqgVbJZ0gmYpT8v0dgJQ0ukWS6JqQ0Xb";

function refreshedHosts(): HostYaml[] {
  const file = parse(fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.ie.yaml"), "utf8")) as { config: Record<string, unknown> };
  const hosts = file.config["ie:hosts"] as HostYaml[];
  const stor3 = hosts.find((h) => h.name === "stor3");
  if (stor3 === undefined) throw new Error("the ie stack has no stor3");
  const stor4: HostYaml = { ...stor3, name: "stor4", address: "10.10.0.14", hostKey: STOR4_KEY };
  return [
    ...hosts.map((h) => (h.name === "stor3" || h.name === "gpu4" ? { ...h, drain: true, drainTimeout: "30m" } : h)),
    stor4,
  ];
}

let stack: MockStack;

beforeAll(async () => {
  stack = await setUpMockStack({ stack: "ie", delayMs: 1, override: { hosts: refreshedHosts() } });
  const { buildSystem } = await import("../../components/program");
  await stack.run(() => buildSystem().outputs);
});

const inputsOf = (r: RegisteredResource): Record<string, unknown> => unwrapSecrets(r.inputs) as Record<string, unknown>;
const resolved = (r: RegisteredResource): number => {
  if (r.resolvedAt === undefined) throw new Error(`${r.name} never resolved`);
  return r.resolvedAt;
};
const commands = (pattern: RegExp): RegisteredResource[] => stack.ofType(COMMAND).filter((r) => pattern.test(r.name));

describe("the refresh: stor4 joins while stor3 and gpu4 drain", () => {
  it("runs the departure guards from hosts that stay, before any other command or file of any host", () => {
    const ceph = stack.named("stor1-ceph-departures");
    expect(scriptCallOf(ceph)?.args).toEqual(["stor1", "stor2", "stor4", "stor3"]);
    const slurm = stack.named("ctl1-slurm-departures");
    expect(scriptCallOf(slurm)?.args).toEqual(["gpu1", "gpu2", "gpu3", "gpu4"]);
    const guardsDone = Math.max(resolved(ceph), resolved(slurm));
    const others = [...stack.ofType(COMMAND), ...stack.ofType(MANAGED_FILE)].filter(
      (r) => r !== ceph && r !== slurm && !/-(base|users)$/.test(r.name),
    );
    expect(others.length).toBeGreaterThan(100);
    for (const r of others) expect(r.registeredAt, r.name).toBeGreaterThan(guardsDone);
  });

  it("serves the mon quorum and ceph.conf from stor1, stor2 and stor4; stor3's daemons are not (re)made", () => {
    expect(scriptCallOf(stack.named("stor1-ceph-quorum"))?.args).toEqual(["180", "stor1", "stor2", "stor4"]);
    expect(commands(/^stor3-ceph-(mon|mgr|osd-)/)).toEqual([]);
    expect(commands(/^stor4-ceph-osd-/).map((r) => r.name).sort()).toEqual(["stor4-ceph-osd-nvme0n1", "stor4-ceph-osd-sdb", "stor4-ceph-osd-sdc"]);
    const conf = String(inputsOf(stack.named("stor3-file-ceph.conf", MANAGED_FILE)).content);
    expect(conf).toMatch(/^mon_host = .*10\.10\.0\.14:6789\]$/m);
    expect(conf).not.toMatch(/10\.10\.0\.13/);
  });

  it("drains stor3 after the serving OSDs and mons: OSDs out, then its daemons stop, then its mon leaves", () => {
    const drain = stack.named("stor1-ceph-drain-stor3");
    expect(scriptCallOf(drain)?.args).toEqual(["stor3", "1800"]);
    expect(inputsOf(drain).delete).toMatch(/undrain\.sh/);
    expect(drain.registeredAt).toBeGreaterThan(resolved(stack.named("stor1-ceph-osds-ready")));
    expect(drain.registeredAt).toBeGreaterThan(resolved(stack.named("stor4-ceph-mon")));
    const stop = stack.named("stor3-ceph-stop-daemons");
    expect(stop.registeredAt).toBeGreaterThan(resolved(drain));
    const leave = stack.named("stor1-ceph-mon-leave-stor3");
    expect(scriptCallOf(leave)?.args).toEqual(["stor3"]);
    expect(leave.registeredAt).toBeGreaterThan(resolved(stop));
    expect(stack.named("stor1-ceph-healthy").registeredAt).toBeGreaterThan(resolved(leave));
  });

  it("keeps gpu4 in slurm.conf but DRAINs it with the stack's reason once the serving nodes are ready", () => {
    const ready = stack.named("ctl1-slurm-nodes-ready");
    expect(scriptCallOf(ready)?.args).toEqual(["120", "gpu1", "gpu2", "gpu3"]);
    const drain = stack.named("ctl1-slurm-drain-gpu4");
    expect(scriptCallOf(drain)?.args).toEqual(["gpu4", "1800", "ie-infra stack ie: drain: true"]);
    expect(inputsOf(drain).delete).toMatch(/resume-node\.sh/);
    expect(drain.registeredAt).toBeGreaterThan(resolved(ready));
    const conf = String(inputsOf(stack.named("ctl1-file-slurm.conf", MANAGED_FILE)).content);
    expect(conf).toMatch(/^NodeName=gpu4 /m);
  });
});
