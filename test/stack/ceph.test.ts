/**
 * Ceph in the production stack under the mock runtime: nothing of Ceph after the mons registers before the
 * quorum gate resolved, OSDs before pools before CephFS, and no key ever in a command line or a plain input.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { EducationSystem } from "../../components/system";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, RANDOM_BYTES, plainStrings, setUpMockStack, unwrapSecrets, type MockStack, type RegisteredResource } from "../support/mocks";

let stack: MockStack;
let system: EducationSystem;

beforeAll(async () => {
  stack = await setUpMockStack({ stack: "ie", delayMs: 2 });
  const { buildSystem } = await import("../../components/program");
  await stack.run(() => {
    system = buildSystem();
    return system.outputs;
  });
});

const commands = (pattern: RegExp): RegisteredResource[] => stack.ofType(COMMAND).filter((r) => pattern.test(r.name));
const resolved = (r: RegisteredResource): number => {
  if (r.resolvedAt === undefined) throw new Error(`${r.name} never resolved`);
  return r.resolvedAt;
};
const quorum = () => stack.named("stor1-ceph-quorum");

describe("Ceph ordering", () => {
  it("waits for every mon's quorum before any other Ceph daemon, OSD, key or pool", () => {
    const mons = commands(/-ceph-mon$/);
    expect(mons.map((m) => m.name).sort()).toEqual(["stor1-ceph-mon", "stor2-ceph-mon", "stor3-ceph-mon"]);
    expect(scriptCallOf(quorum())?.args).toEqual(["180", "stor1", "stor2", "stor3"]);
    expect(quorum().registeredAt).toBeGreaterThan(Math.max(...mons.map(resolved)));
    const after = commands(/-ceph-(osd-|mgr$|mds$|auth$|pool-|fs$)/);
    expect(after.length).toBeGreaterThan(10);
    for (const r of after) expect(r.registeredAt, r.name).toBeGreaterThan(resolved(quorum()));
  });

  it("makes one OSD per inventory device with its class, one device after another on a host", () => {
    const osds = commands(/-ceph-osd-/);
    expect(osds).toHaveLength(9);
    expect(scriptCallOf(stack.named("stor1-ceph-osd-nvme0n1"))?.args).toEqual(["lvm", "/dev/nvme0n1", "ssd", "no"]);
    expect(stack.named("stor1-ceph-osd-sdb").registeredAt).toBeGreaterThan(resolved(stack.named("stor1-ceph-osd-nvme0n1")));
  });

  it("creates pools only once every OSD is up, and the file system after its pools", () => {
    const gate = stack.named("stor1-ceph-osds-ready");
    expect(scriptCallOf(gate)?.args).toEqual(["300", "9"]);
    for (const osd of commands(/-ceph-osd-/)) expect(gate.registeredAt).toBeGreaterThan(resolved(osd));
    const pools = commands(/-ceph-pool-/);
    expect(pools.map((p) => p.name).sort()).toEqual(["stor1-ceph-pool-homefs-data", "stor1-ceph-pool-homefs-meta", "stor1-ceph-pool-images", "stor1-ceph-pool-vms"]);
    for (const p of pools) expect(p.registeredAt, p.name).toBeGreaterThan(resolved(gate));
    expect(scriptCallOf(stack.named("stor1-ceph-pool-vms"))?.args).toEqual(["vms", "rbd", "3", "2", "ssd", "on"]);
    const fs = stack.named("stor1-ceph-fs");
    for (const p of pools.filter((x) => x.name.includes("homefs"))) expect(fs.registeredAt).toBeGreaterThan(resolved(p));
  });

  it("mounts CephFS on every compute and container host after the file system and its MDS", () => {
    const mounts = commands(/-cephfs-mount$/);
    expect(mounts.map((m) => m.name).sort()).toEqual(["gpu1-cephfs-mount", "gpu2-cephfs-mount", "gpu3-cephfs-mount", "gpu4-cephfs-mount"]);
    for (const m of mounts) {
      expect(m.registeredAt).toBeGreaterThan(resolved(stack.named("stor1-ceph-fs")));
      for (const mds of commands(/-ceph-mds$/)) expect(m.registeredAt).toBeGreaterThan(resolved(mds));
    }
    expect(stack.named("gpu1-file-home.mount", MANAGED_FILE).inputs).toMatchObject({ path: "/etc/systemd/system/home.mount" });
  });

  it("ends with the health gate after everything else of Ceph", () => {
    const healthy = stack.named("stor1-ceph-healthy");
    for (const r of commands(/-ceph-(pool-|fs$|mds$|mgr$)|-cephfs-mount$/)) expect(healthy.registeredAt, r.name).toBeGreaterThan(resolved(r));
  });
});

describe("Ceph secrets", () => {
  const keys = () => [...(system.ceph?.keys.values() ?? [])];

  it("generates the fsid and one key per entity once, as RandomBytes, and keeps every key secret", async () => {
    const names = stack.ofType(RANDOM_BYTES).map((r) => r.name).filter((n) => n.startsWith("ceph-"));
    expect(names).toEqual(expect.arrayContaining(["ceph-fsid", "ceph-key-mon", "ceph-key-client-admin", "ceph-key-client-bootstrap-osd", "ceph-key-client-libvirt", "ceph-key-client-home", "ceph-key-mgr-stor1", "ceph-key-mds-stor2"]));
    expect(keys().length).toBeGreaterThan(8);
    for (const k of keys()) expect(await pulumi.isSecret(k)).toBe(true);
  });

  it("writes keyrings only as secret ManagedFiles and sends keys to the cluster only on STDIN", () => {
    const keyrings = stack.ofType(MANAGED_FILE).filter((r) => /keyring$/.test(r.name));
    expect(keyrings.length).toBeGreaterThan(10);
    for (const f of keyrings) {
      expect(pulumi.runtime.isRpcSecret(f.inputs.content), f.name).toBe(true);
      expect(f.inputs).toMatchObject({ mode: "0600", secret: true });
    }
    const auth = stack.named("stor1-ceph-auth");
    expect(pulumi.runtime.isRpcSecret(auth.inputs.stdin)).toBe(true);
    expect(String(unwrapSecrets(auth.inputs.stdin))).toContain("[client.libvirt]");
  });

  it("never puts a Ceph key in a command line or a non-secret input", async () => {
    const values = await Promise.all(keys().map((k) => new Promise<string>((resolve) => k.apply(resolve))));
    for (const r of stack.resources) {
      const texts = [...plainStrings(r.inputs), ...["create", "update", "delete"].map((f) => String(unwrapSecrets(r.inputs[f]) ?? ""))];
      for (const key of values) for (const t of texts) expect(t.includes(key), r.name).toBe(false);
    }
  });
});
