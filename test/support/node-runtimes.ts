/**
 * The node runtimes ie-podman's entry must hold against: this machine's node (a 20.x that reads
 * `--env-file` from a script's own arguments, like Debian 13's 20.19) and Debian 12's own nodejs package
 * (18.x). Debian 12's is taken from the apt archive of this (Debian 12) machine, unpacked into a cache
 * outside the clone, and run in a private mount namespace where its externalised builtins
 * (/usr/share/nodejs) are where it expects them: nothing is installed on the machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";

/** How to start one runtime: a command prefix to put before `node`'s own arguments. */
export interface NodeRuntime {
  readonly name: string;
  readonly version: string;
  /** argv[0..n] that start this node: append node's arguments. */
  readonly command: readonly string[];
  /** The node binary path to put into the entry script (a wrapper for a runtime that needs one). */
  readonly binary: string;
}

const CACHE = process.env.IE_TEST_CACHE ?? "/var/cache/ie-infra-test";

/** The packages Debian 12's node needs beyond what a Debian 12 machine has. */
const DEBIAN12_PACKAGES = ["nodejs", "libnode108", "node-acorn", "node-cjs-module-lexer", "node-undici", "libuv1", "libc-ares2"];

function sh(script: string, cwd?: string): string {
  const r = spawnSync("bash", ["-c", script], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${script.split("\n")[0]}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Debian 12's nodejs version in this machine's apt lists (the security update if there is one). */
function debian12Version(): string {
  const versions = sh("apt-cache madison nodejs | awk -F'|' '{gsub(/ /, \"\", $2); print $2}'").split("\n").filter((v) => v.includes("deb12"));
  if (versions.length === 0) throw new Error("apt knows no Debian 12 nodejs (apt-cache madison nodejs): run apt-get update on a Debian 12 machine");
  return versions[0];
}

/** Unpacks Debian 12's nodejs (once) and returns the root it is unpacked in. */
function debian12Root(): { root: string; version: string } {
  const version = debian12Version();
  const root = path.join(CACHE, `nodejs-${version.replace(/[^A-Za-z0-9.+-]/g, "_")}`);
  if (existsSync(path.join(root, "usr", "bin", "node"))) return { root, version };
  const work = `${root}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, "debs"), { recursive: true });
  const pinned = DEBIAN12_PACKAGES.map((p) => (p === "nodejs" || p === "libnode108" ? `${p}=${version}` : p));
  sh(`apt-get download -q ${pinned.join(" ")} 2>&1 | grep -v unsandboxed || true; ls *.deb >/dev/null`, path.join(work, "debs"));
  for (const deb of readdirSync(path.join(work, "debs"))) sh(`dpkg -x debs/${deb} root`, work);
  renameSync(path.join(work, "root"), root);
  rmSync(work, { recursive: true, force: true });
  return { root, version };
}

/**
 * A wrapper script that runs Debian 12's node in a private mount namespace (needs root). The loader is
 * named explicitly (`--library-path`) so that node's environment stays exactly what its caller passed.
 */
function debian12Wrapper(root: string): string {
  const wrapper = path.join(root, "node-in-namespace");
  if (!existsSync(wrapper)) {
    const script = `#!/bin/bash
# Debian 12's node, run where it finds its externalised builtins; arguments go to node unchanged.
exec unshare --mount /bin/bash --norc --noprofile -c 'mount --make-rprivate / && mount -t tmpfs none /usr/share && mkdir /usr/share/nodejs && mount --bind ${root}/usr/share/nodejs /usr/share/nodejs && exec env -u PWD -u OLDPWD -u SHLVL -u _ /lib64/ld-linux-x86-64.so.2 --library-path ${root}/usr/lib/x86_64-linux-gnu ${root}/usr/bin/node "$@"' node "$@"
`;
    sh(`cat > ${wrapper}.tmp <<'EOF'\n${script}EOF\nchmod 0755 ${wrapper}.tmp && mv ${wrapper}.tmp ${wrapper}`);
  }
  return wrapper;
}

/** This machine's node and Debian 12's nodejs package. */
export function nodeRuntimes(): NodeRuntime[] {
  const local: NodeRuntime = { name: "this machine's node", version: process.version, command: [process.execPath], binary: process.execPath };
  const { root, version } = debian12Root();
  const wrapper = debian12Wrapper(root);
  const debian12: NodeRuntime = { name: "Debian 12's nodejs", version, command: [wrapper], binary: wrapper };
  return [local, debian12];
}
