/**
 * What this machine needs to run a lab, installed with apt when missing (a fresh CI machine has none of
 * it). Each tool is found by its command, so a tool installed some other way is accepted.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { run } from "./exec";

/** Command -> the Debian package that provides it. */
export const PREREQUISITES: Readonly<Record<string, string>> = {
  debootstrap: "debootstrap",
  "systemd-nspawn": "systemd-container",
  nft: "nftables",
  ip: "iproute2",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  // The guest image: a partition table and an ext4 file system made in files.
  sfdisk: "fdisk",
  "mkfs.ext4": "e2fsprogs",
};

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function commandExists(command: string): boolean {
  const dirs = [...(process.env.PATH ?? "").split(":").filter((d) => d !== ""), ...SEARCH_PATH];
  return dirs.some((d) => existsSync(path.join(d, command)));
}

/** Packages to install for the commands this machine lacks (empty when all are there). */
export function missingPackages(exists: (command: string) => boolean = commandExists): string[] {
  const missing = Object.entries(PREREQUISITES)
    .filter(([command]) => !exists(command))
    .map(([, pkg]) => pkg);
  return [...new Set(missing)].sort();
}

/** Install the missing prerequisites (one apt-get update first); returns the packages installed. */
export function installPrerequisites(log: (line: string) => void): string[] {
  const packages = missingPackages();
  if (packages.length === 0) return [];
  log(`installing prerequisites: ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-q"], { env });
  run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], { env });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`apt-get installed ${packages.join(" ")} but commands are still missing (${still.join(" ")})`);
  return packages;
}
