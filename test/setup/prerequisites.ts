/**
 * Debian tools the unit tests use as real parsers and linters (shellcheck for every script, Slurm's own
 * config parser, libvirt's XML validator, ...). Missing ones are installed once with apt when running as
 * root (CI, the lab machine); otherwise the run stops with the command that installs them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";

/** command on PATH -> Debian package providing it. */
export const TEST_TOOLS: Readonly<Record<string, string>> = {
  shellcheck: "shellcheck",
  slurmd: "slurmd",
  // a real sshd on loopback for the ManagedFile provider's tests (started by the test, never as a service)
  sshd: "openssh-server",
  // Ceph's own parsers for the rendered ceph.conf and keyrings
  "ceph-conf": "ceph-common",
  "ceph-authtool": "ceph-common",
  // sudo's own parser for the rendered sudoers rule of ie-podman
  visudo: "sudo",
  // libvirt's schema check of the rendered domain and secret XML (it runs xmllint)
  "virt-xml-validate": "libvirt-clients",
  xmllint: "libxml2-utils",
};

function missingPackages(): string[] {
  return Object.entries(TEST_TOOLS)
    .filter(([cmd]) => spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin" command -v ${cmd}`]).status !== 0)
    .map(([, pkg]) => pkg);
}

export default function setup(): void {
  const missing = [...new Set(missingPackages())];
  if (missing.length === 0) return;
  const install = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`the tests need Debian packages that are missing: run 'sudo apt-get update && sudo ${install}'`);
  }
  console.log(`installing test prerequisites: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  // Packages with daemons (openssh-server) must not start them on this machine: tests start their own.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  const r = spawnSync("sh", ["-c", install], { stdio: "inherit", env });
  if (ownPolicy) rmSync(policy, { force: true });
  if (update.status !== 0 || r.status !== 0 || missingPackages().length > 0) {
    throw new Error(`could not install the test prerequisites (${missing.join(" ")}): '${install}' failed`);
  }
}
