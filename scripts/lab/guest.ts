/**
 * The lab's golden image: a minimal Debian 13 cloud guest (kernel, cloud-init, sshd, growpart), built once
 * per machine and recipe from the mirror and cached beside the base root file system, then copied onto each
 * VM host at the paths its stack names (vms.goldenImage.source and vms.directBoot).
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";
import { run } from "./exec";
import type { DebianMirror } from "./mirror";
import { removeTree } from "./mounts";
import { hostRootfsPath, labCacheDir, labScriptPath } from "./paths";
import type { LabGoldenImage } from "./plan";
import { LAB_SUITE, debootstrap, ensureAptArchive, removeStaleBuilds } from "./rootfs";

/**
 * What the guest holds beyond minbase: a booting systemd, the cloud kernel (virtio, no hardware drivers),
 * cloud-init with what debootstrap cannot resolve for it (a virtual package of python3-cryptography's), sshd,
 * growpart and resize2fs, sudo for the owner.
 */
export const GUEST_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "libpam-systemd",
  "linux-image-cloud-amd64",
  "initramfs-tools",
  "cloud-init",
  "python3-cffi-backend",
  "openssh-server",
  "cloud-guest-utils",
  "e2fsprogs",
  "sudo",
  "iproute2",
  "netbase",
];

/** The golden image's virtual size: small, so that every rental's disk is grown from it (growpart's work). */
export const GUEST_DISK_BYTES = 3 * 1024 ** 3;

export interface GuestImage {
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  /** True when it was built now, false when taken from the cache. */
  readonly built: boolean;
}

/** Cache directory name of a guest: suite + a hash of the packages, the mirror, the size and the image script. */
export function guestImageName(mirror: DebianMirror): string {
  const script = readFileSync(labScriptPath("guest-image.sh"), "utf8");
  const hash = createHash("sha256")
    .update(JSON.stringify({ suite: LAB_SUITE, packages: [...GUEST_PACKAGES].sort(), archive: mirror.archive, size: GUEST_DISK_BYTES, script }))
    .digest("hex")
    .slice(0, 12);
  return `${LAB_SUITE}-${hash}`;
}

function filesOf(dir: string): Omit<GuestImage, "built"> {
  return { disk: path.join(dir, "disk.raw"), kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img") };
}

/** The cached guest image for the mirror, built when missing (a few minutes, once per machine). */
export function ensureGuestImage(mirror: DebianMirror, log: (line: string) => void): GuestImage {
  const cacheRoot = path.join(labCacheDir(), "guest");
  const target = path.join(cacheRoot, guestImageName(mirror));
  if (existsSync(filesOf(target).disk)) return { ...filesOf(target), built: false };
  mkdirSync(cacheRoot, { recursive: true });
  ensureAptArchive();
  removeStaleBuilds(cacheRoot);
  const build = `${target}.build-${process.pid}`;
  const root = path.join(build, "root");
  const logFile = `${target}.debootstrap.log`;
  log(`bootstrapping the lab's guest image (${LAB_SUITE} with cloud-init, once per machine) into ${target}; log: ${logFile}`);
  mkdirSync(build, { recursive: true });
  debootstrap(root, GUEST_PACKAGES, mirror, logFile);
  try {
    log(run("bash", [labScriptPath("guest-image.sh"), root, build, String(GUEST_DISK_BYTES)]).trim());
    removeTree(root);
  } catch (err) {
    removeTree(build);
    throw err;
  }
  renameSync(build, target);
  return { ...filesOf(target), built: true };
}

/**
 * Copy the guest image onto a VM host (its root file system is a directory here) at the paths its stack
 * names, when they are not there yet: an imported golden image is never replaced under Ceph's feet.
 */
export function installGuestImage(guest: GuestImage, host: string, golden: LabGoldenImage): string {
  const rootfs = hostRootfsPath(host);
  const copies: [string, string][] = [
    [guest.disk, golden.image],
    [guest.kernel, golden.kernel],
    [guest.initrd, golden.initrd],
  ];
  const made: string[] = [];
  for (const [from, to] of copies) {
    const file = path.join(rootfs, to);
    if (existsSync(file)) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    const part = `${file}.part`;
    rmSync(part, { force: true });
    // The disk is 3 GiB of which a third is used: copy it sparse.
    if (from === guest.disk) run("cp", ["--sparse=always", from, part]);
    else copyFileSync(from, part);
    renameSync(part, file);
    made.push(to);
  }
  return made.length > 0 ? `copied the guest image to ${made.join(", ")}` : "the guest image is in place";
}
