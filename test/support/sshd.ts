/**
 * A real sshd on loopback for tests, with its own host key and a login key for root, and sshd's defaults
 * otherwise (`MaxStartups 10:30:100`, `MaxSessions 10`): what the ManagedFile provider, drift and the engine
 * harness meet on a real server. Needs root and openssh-server (test/setup/prerequisites.ts installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { SshTarget } from "../../components/host/ssh";

const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
  /** Scratch directory of this sshd (keys, config); tests may put files under it. */
  readonly dir: string;
  readonly port: number;
  /** root@127.0.0.1 with the pinned host key and the login key. */
  readonly target: SshTarget;
  /** A host key line sshd does NOT have: pinning it must be refused. */
  readonly otherHostKey: string;
  stop(): void;
}

function keygen(file: string): string {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

/** A TCP port nothing listens on (right now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startSshd(prefix = "sshd-"): Promise<TestSshd> {
  if (process.getuid?.() !== 0) throw new Error("these tests start sshd and chown files: run them as root");
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (test/setup/prerequisites.ts does it)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const hostKey = keygen(path.join(dir, "host_key"));
  const otherHostKey = keygen(path.join(dir, "other_host_key"));
  const clientKey = keygen(path.join(dir, "client_key"));
  fs.writeFileSync(path.join(dir, "authorized_keys"), `${clientKey}\n`, { mode: 0o600 });
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${path.join(dir, "host_key")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "",
    ].join("\n"),
  );
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  const sshd: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "ignore"] });
  await waitForPort(port, 10_000);
  return {
    dir,
    port,
    target: { host: "127.0.0.1", port, user: "root", hostKey, privateKey: fs.readFileSync(path.join(dir, "client_key"), "utf8") },
    otherHostKey,
    stop: () => {
      sshd.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
