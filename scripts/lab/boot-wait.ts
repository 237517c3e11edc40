/**
 * Waiting for freshly started hosts: each is ready when its sshd lets the lab key in while presenting the
 * host key that its first boot generated. The key is read from the host's root file system on this
 * machine and pinned before the first connection, so no connection ever trusts an unknown key; once in,
 * the key the host reports over SSH must be the same.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pause, tail } from "./exec";
import { hostProcessAlive } from "./machines";
import { hostLogPath, hostRootfsPath } from "./paths";
import { sshRun, writeKnownHosts, type PinnedHostKey } from "./ssh";

export interface BootingHost {
  readonly name: string;
  readonly address: string;
  readonly pid: number;
  /** When nspawn was started (ms since the epoch). */
  readonly startedAt: number;
  /** Where its key is pinned once read back (absolute; the stack's `hostKey: file:PATH`). */
  readonly keyFile: string;
}

export interface ReadyHost {
  readonly name: string;
  /** Seconds from start to sshd answering. */
  readonly seconds: number;
  readonly hostKey: string;
}

const HOST_KEY_IN_ROOTFS = path.join("etc", "ssh", "ssh_host_ed25519_key.pub");

/** The first two fields of a public key line (type and base64), without the comment. */
export function keyOf(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * Wait (at most `timeoutSeconds` per host, all hosts at once) for every host to answer SSH; write each host's
 * key file (`.lab/hostkeys/<host>.pub` in the lab stack) and the known_hosts with every key (`alreadyPinned`:
 * hosts that were running).
 * Fails naming the host, with the end of its log, when a host dies or does not answer in time.
 */
export async function waitForHosts(
  hosts: readonly BootingHost[],
  alreadyPinned: readonly PinnedHostKey[],
  timeoutSeconds: number,
): Promise<ReadyHost[]> {
  const pinned = new Map<string, PinnedHostKey>(alreadyPinned.map((k) => [k.name, k]));
  const pin = (key: PinnedHostKey): void => {
    pinned.set(key.name, key);
    writeKnownHosts([...pinned.values()]);
  };
  writeKnownHosts([...pinned.values()]);
  return Promise.all(hosts.map((h) => waitForHost(h, timeoutSeconds, pin)));
}

async function waitForHost(host: BootingHost, timeoutSeconds: number, pin: (key: PinnedHostKey) => void): Promise<ReadyHost> {
  const deadline = host.startedAt + timeoutSeconds * 1000;
  const keyFile = path.join(hostRootfsPath(host.name), HOST_KEY_IN_ROOTFS);
  let key: string | undefined;
  let lastError = "no host key yet";
  while (Date.now() < deadline) {
    if (!hostProcessAlive(host.pid)) fail(host, "its systemd-nspawn exited");
    if (key === undefined && existsSync(keyFile)) {
      const text = readFileSync(keyFile, "utf8");
      if (text.trim() !== "") {
        key = keyOf(text);
        pin({ name: host.name, address: host.address, key });
      }
    }
    if (key !== undefined) {
      const r = await sshRun(host.address, ["cat", `/${HOST_KEY_IN_ROOTFS}`], 10_000, 2);
      if (r.status === 0) {
        if (keyOf(r.stdout) !== key) {
          fail(host, `its SSH host key over SSH (${keyOf(r.stdout)}) differs from the one in its root file system (${key})`);
        }
        const line = `${key} root@${host.name}\n`;
        mkdirSync(path.dirname(host.keyFile), { recursive: true });
        writeFileSync(host.keyFile, line);
        return { name: host.name, seconds: (Date.now() - host.startedAt) / 1000, hostKey: key };
      }
      lastError = r.stderr.trim() || `ssh exit ${r.status}`;
    }
    await pause(300);
  }
  return fail(host, `sshd did not answer within ${timeoutSeconds} s (last: ${lastError})`);
}

function fail(host: BootingHost, why: string): never {
  const log = hostLogPath(host.name);
  const end = existsSync(log) ? tail(readFileSync(log, "utf8"), 25) : "(no log)";
  throw new Error(`lab host ${host.name} (${host.address}) is not up: ${why}.\nLast lines of ${log}:\n${end}`);
}
