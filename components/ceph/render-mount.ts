/**
 * The systemd mount unit that puts CephFS at the inventory's mount point on a client host, pure. A mount
 * unit (not an fstab line) so it is one ManagedFile whose drift shows, ordered after the network, pulled in
 * by remote-fs.target at every boot.
 */
import type { CephLayout } from "./render";

/** The CephFS client entity name of the home mounts (`client.home`). */
export const CEPHFS_CLIENT = "home";

/** systemd's unit name for a mount point (`systemd-escape --path --suffix=mount`): `/home` -> `home.mount`. */
export function mountUnitName(mountPoint: string): string {
  const trimmed = mountPoint.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "-.mount";
  const escaped = trimmed
    .split(/\/+/)
    .map((part) =>
      [...part]
        .map((c, i) => (/[A-Za-z0-9:_]/.test(c) || (c === "." && i > 0) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`))
        .join(""),
    )
    .join("-");
  return `${escaped}.mount`;
}

export function renderMountUnit(layout: CephLayout): string {
  const fs = layout.spec.cephfs;
  if (fs === undefined) throw new Error("renderMountUnit: the inventory has no cephfs");
  const method = layout.spec.mountMethod;
  let what: string;
  let type: string;
  let options: string;
  switch (method) {
    case "fuse":
      what = "none";
      type = "fuse.ceph";
      options = `ceph.id=${CEPHFS_CLIENT},ceph.client_fs=${fs.name},_netdev,defaults`;
      break;
    case "kernel":
      // mount.ceph takes the fsid from ceph.conf and the key from /etc/ceph/ceph.client.<name>.keyring.
      what = `${CEPHFS_CLIENT}@.${fs.name}=/`;
      type = "ceph";
      options = `mon_addr=${layout.mons.map((m) => `${m.address}:6789`).join("/")},_netdev,noatime`;
      break;
    default: {
      const never: never = method;
      throw new Error(`unknown mount method ${String(never)}`);
    }
  }
  return [
    "# Written by ie-infra: CephFS at the inventory's mount point.",
    "[Unit]",
    `Description=CephFS ${fs.name} at ${fs.mountPoint}`,
    // A network mount, said explicitly: systemd does not know fuse.ceph, and would order the unit before
    // local-fs.target, which comes before the network: a dependency cycle that hangs the boot.
    "DefaultDependencies=no",
    "Wants=network-online.target",
    "After=network-online.target remote-fs-pre.target",
    "Before=remote-fs.target umount.target",
    "Conflicts=umount.target",
    "",
    "[Mount]",
    `What=${what}`,
    `Where=${fs.mountPoint}`,
    `Type=${type}`,
    `Options=${options}`,
    "",
    "[Install]",
    "WantedBy=remote-fs.target",
    "",
  ].join("\n");
}
