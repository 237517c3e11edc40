import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { harvestAllHosts, harvestHostArchive, hostAptArchive, seedHostArchive } from "./apt-pool";

const dir = mkdtempSync(join(tmpdir(), "apt-pool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the machine's package pool", () => {
  const pool = join(dir, "pool");
  const rootfs = join(dir, "lab1");

  it("links the pool's packages into a new host's own archive, and nothing but packages", () => {
    mkdirSync(join(pool, "partial"), { recursive: true });
    writeFileSync(join(pool, "ceph_19.deb"), "ceph");
    writeFileSync(join(pool, "lock"), "");
    expect(seedHostArchive(pool, rootfs)).toBe(1);
    expect(readdirSync(hostAptArchive(rootfs))).toEqual(["ceph_19.deb"]);
    // One file, two names: no copy on one file system.
    expect(statSync(join(hostAptArchive(rootfs), "ceph_19.deb")).ino).toBe(statSync(join(pool, "ceph_19.deb")).ino);
    expect(seedHostArchive(pool, rootfs)).toBe(0);
  });

  it("takes back what the host downloaded, and only that", () => {
    writeFileSync(join(hostAptArchive(rootfs), "slurmd_24.deb"), "slurmd");
    expect(harvestHostArchive(rootfs, pool)).toBe(1);
    expect(readdirSync(pool).sort()).toEqual(["ceph_19.deb", "lock", "partial", "slurmd_24.deb"]);
    expect(harvestHostArchive(rootfs, pool)).toBe(0);
  });

  it("harvests nothing from a host whose root file system is gone", () => {
    expect(harvestHostArchive(join(dir, "nosuch"), pool)).toBe(0);
  });

  it("harvests every host's root file system of the hosts directory, skipping lock files", () => {
    const hosts = join(dir, "hosts");
    mkdirSync(join(hosts, "lab2", "var", "cache", "apt", "archives"), { recursive: true });
    writeFileSync(join(hosts, "lab2", "var", "cache", "apt", "archives", "munge_0.5.deb"), "munge");
    writeFileSync(join(hosts, ".#lab2.lck"), "");
    expect(harvestAllHosts(hosts, pool)).toBe(1);
    expect(readdirSync(pool)).toContain("munge_0.5.deb");
  });
});
