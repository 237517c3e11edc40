import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../host/scripts";
import { loadStackFile } from "../inventory/load";
import type { Inventory } from "../inventory/model";
import { cephxKey, uuidFromHex } from "./keys";
import { CAPS, cephLayout, renderCephConf, renderKeyring } from "./render";
import { mountUnitName, renderMountUnit } from "./render-mount";

function stack(name: string): Inventory {
  const { inventory, diagnostics } = loadStackFile(join(PROJECT_ROOT, "stacks", `Pulumi.${name}.yaml`), { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
  if (inventory === undefined) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return inventory;
}
const ie = stack("ie");
const lab = stack("lab");
const FSID = uuidFromHex("00112233445566778899aabbccddeeff");
const dir = mkdtempSync(join(tmpdir(), "ceph-render-"));

/** Ceph's own config parser: `ceph-conf --lookup KEY` on the rendered file. */
function cephConf(text: string, key: string): string {
  const file = join(dir, "ceph.conf");
  writeFileSync(file, text);
  const r = spawnSync("ceph-conf", ["-c", file, "--name", "mon.x", "--lookup", key], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ceph-conf --lookup ${key} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

describe("cephLayout", () => {
  it("places the ie stack's daemons by role and mounts CephFS on compute and container hosts", () => {
    const layout = cephLayout(ie);
    expect(layout.mons.map((h) => h.name)).toEqual(["stor1", "stor2", "stor3"]);
    expect(layout.mgrs.map((h) => h.name)).toEqual(["stor1", "stor2"]);
    expect(layout.osdHosts.map((h) => h.name)).toEqual(["stor1", "stor2", "stor3"]);
    expect(layout.cephfsClients.map((h) => h.name)).toEqual(["gpu1", "gpu2", "gpu3", "gpu4"]);
    expect(layout.rbdClients.map((h) => h.name)).toEqual(["vmhost1", "vmhost2"]);
    expect(layout.hosts.map((h) => h.name)).not.toContain("ctl1");
  });
});

describe("renderCephConf", () => {
  const text = renderCephConf(cephLayout(lab), FSID);

  it("is read by Ceph's own parser as written", () => {
    expect(cephConf(text, "fsid")).toBe(FSID);
    expect(cephConf(text, "mon_host")).toBe("[v2:10.77.0.11:3300,v1:10.77.0.11:6789],[v2:10.77.0.12:3300,v1:10.77.0.12:6789],[v2:10.77.0.13:3300,v1:10.77.0.13:6789]");
    expect(cephConf(text, "public_network")).toBe("10.77.0.0/24");
    expect(cephConf(text, "osd_memory_target")).toBe(String(512 * 1024 ** 2));
    expect(cephConf(text, "mon_data_avail_warn")).toBe("5");
    expect(cephConf(text, "mon_allow_pool_delete")).toBe("false");
    expect(cephConf(text, "auth_allow_insecure_global_id_reclaim")).toBe("false");
  });

  it("keeps the restful mgr module off (it fails on Python 3.13)", () => {
    expect(cephConf(text, "mgr_initial_modules").split(/\s+/)).not.toContain("restful");
  });

  it("is the same text for the same inventory and fsid (a ManagedFile that does not churn)", () => {
    expect(renderCephConf(cephLayout(lab), FSID)).toBe(text);
  });
});

describe("keys", () => {
  it("makes a cephx key that ceph-authtool accepts, the same for the same secret", () => {
    const key = cephxKey(Buffer.alloc(16, 7).toString("base64"));
    expect(key).toMatch(/^AQ[A-Za-z0-9+/]{36}==$/);
    expect(cephxKey(Buffer.alloc(16, 7).toString("base64"))).toBe(key);
    const keyring = join(dir, "test.keyring");
    const r = spawnSync("ceph-authtool", ["--create-keyring", keyring, "--name", "client.test", "--add-key", key], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const printed = spawnSync("ceph-authtool", [keyring, "--name", "client.test", "--print-key"], { encoding: "utf8" });
    expect(printed.stdout.trim()).toBe(key);
  });

  it("refuses a secret of the wrong length", () => {
    expect(() => cephxKey(Buffer.alloc(1024).toString("base64"))).toThrow(/16 bytes, got 1024/);
  });

  it("makes a version 4 UUID from 16 bytes", () => {
    expect(FSID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("renderKeyring", () => {
  const key = cephxKey(Buffer.alloc(16, 1).toString("base64"));

  it("writes entities with their caps in a keyring ceph-authtool reads back", () => {
    const text = renderKeyring([{ entity: "client.libvirt", key, caps: CAPS.libvirt("vms") }]);
    const file = join(dir, "libvirt.keyring");
    writeFileSync(file, text);
    const r = spawnSync("ceph-authtool", ["-l", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('caps osd = "profile rbd pool=vms"');
  });

  it("refuses caps that would break the keyring's quoting", () => {
    expect(() => renderKeyring([{ entity: "client.x", key, caps: { mon: 'allow "x"' } }])).toThrow(/double quote/);
  });

  it("gives clients least privilege: libvirt only RBD on its pool, the CephFS client only its file system", () => {
    expect(CAPS.libvirt("vms")).toEqual({ mon: "profile rbd", osd: "profile rbd pool=vms", mgr: "profile rbd pool=vms" });
    const fs = CAPS.cephfsClient("homefs", "/");
    expect(fs.osd).toBe("allow rw tag cephfs data=homefs");
    expect(fs.mds).toBe("allow rw fsname=homefs path=/");
    expect(JSON.stringify([CAPS.libvirt("vms"), fs])).not.toContain("allow *");
  });
});

describe("the CephFS mount unit", () => {
  it.each([
    ["/home", "home.mount"],
    ["/srv/home", "srv-home.mount"],
    ["/srv/my-homes", "srv-my\\x2dhomes.mount"],
    ["/", "-.mount"],
  ])("names %s's unit %s as systemd-escape does", (path, unit) => {
    expect(mountUnitName(path)).toBe(unit);
  });

  it("mounts with ceph-fuse in the lab as a network mount (never before local-fs.target)", () => {
    const unit = renderMountUnit(cephLayout(lab));
    expect(unit).toContain("Type=fuse.ceph\n");
    expect(unit).toContain("Options=ceph.id=home,ceph.client_fs=homefs,_netdev,defaults\n");
    expect(unit).toContain("DefaultDependencies=no\n");
    expect(unit).toContain("Before=remote-fs.target umount.target\n");
    expect(unit).toContain("WantedBy=remote-fs.target\n");
  });

  it("uses the kernel client in production, with every mon's address", () => {
    const unit = renderMountUnit(cephLayout(ie));
    expect(unit).toContain("What=home@.homefs=/\n");
    expect(unit).toContain("Type=ceph\n");
    expect(unit).toContain("Options=mon_addr=10.10.0.11:6789/10.10.0.12:6789/10.10.0.13:6789,_netdev,noatime\n");
  });
});
