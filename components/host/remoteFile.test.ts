/**
 * The ManagedFile provider's logic against a real sshd on loopback, started by this test with its own host
 * key and a login key: what `pulumi up` writes and what `pulumi refresh` / `npm run drift` read back. Needs
 * root (files are chowned, sshd logs in as root); `test/setup/prerequisites.ts` installs openssh-server.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileDifferences, planFileChange, readRemoteFile, writeRemoteFile, type DesiredFile, type KeptFile } from "./remoteFile";
import { SshPool, type SshTarget } from "./ssh";

const SSHD = "/usr/sbin/sshd";
let dir: string;
let sshd: ChildProcess;
let target: SshTarget;
let otherHostKey: string;
const ssh = new SshPool();

function keygen(file: string): string {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

function freePort(): Promise<number> {
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

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("these tests start sshd and chown files: run them as root");
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (test/setup/prerequisites.ts does it)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "managed-file-"));
  const hostKey = keygen(path.join(dir, "host_key"));
  otherHostKey = keygen(path.join(dir, "other_host_key"));
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
  sshd = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  await waitForPort(port, 10_000);
  target = { host: "127.0.0.1", port, user: "root", hostKey, privateKey: fs.readFileSync(path.join(dir, "client_key"), "utf8") };
});

afterAll(() => {
  ssh.close();
  sshd?.kill("SIGTERM");
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, overrides: Partial<DesiredFile> = {}): DesiredFile => ({
  path: path.join(dir, "etc", name),
  content: "ClusterName=lab\nMessageTimeout=10\n",
  encoding: "utf8",
  mode: "0644",
  owner: "root:root",
  ...overrides,
});

describe("writeRemoteFile and readRemoteFile over real SSH", () => {
  it("creates the file (and its directory) with content, mode and owner, and reads it back the same", async () => {
    const wanted = file("slurm.conf", { mode: "0640", owner: "root:daemon" });
    expect(await writeRemoteFile(ssh, target, wanted)).toContain(`changed ${wanted.path}`);
    const observed = await readRemoteFile(ssh, target, wanted.path, "utf8");
    expect(observed).toEqual({ kind: "file", content: wanted.content, mode: "0640", owner: "root:daemon" });
    expect(fileDifferences(observed, wanted)).toEqual([]);
  });

  it("leaves an unchanged file alone (same inode) and replaces a changed one atomically (new inode)", async () => {
    const wanted = file("cgroup.conf");
    await writeRemoteFile(ssh, target, wanted);
    const inode = fs.statSync(wanted.path).ino;
    expect(await writeRemoteFile(ssh, target, wanted)).toBe(`unchanged ${wanted.path}`);
    expect(fs.statSync(wanted.path).ino).toBe(inode);
    await writeRemoteFile(ssh, target, { ...wanted, content: "ConstrainDevices=yes\n" });
    expect(fs.statSync(wanted.path).ino).not.toBe(inode);
    expect(fs.readFileSync(wanted.path, "utf8")).toBe("ConstrainDevices=yes\n");
  });

  it("sees a hand edit of the content, and a changed mode or owner, as the fields that differ", async () => {
    const wanted = file("gres.conf");
    await writeRemoteFile(ssh, target, wanted);
    fs.appendFileSync(wanted.path, "# edited by hand\n");
    expect(fileDifferences(await readRemoteFile(ssh, target, wanted.path, "utf8"), wanted)).toEqual(["content"]);
    await writeRemoteFile(ssh, target, wanted);
    fs.chmodSync(wanted.path, 0o666);
    fs.chownSync(wanted.path, 0, 1);
    expect(fileDifferences(await readRemoteFile(ssh, target, wanted.path, "utf8"), wanted)).toEqual(["mode", "owner"]);
    await writeRemoteFile(ssh, target, wanted);
    expect(fileDifferences(await readRemoteFile(ssh, target, wanted.path, "utf8"), wanted)).toEqual([]);
  });

  it("reports a missing file and a symlink as not being the file", async () => {
    const wanted = file("absent.conf");
    const observed = await readRemoteFile(ssh, target, wanted.path, "utf8");
    expect(observed).toEqual({ kind: "absent" });
    expect(fileDifferences(observed, wanted)).toEqual(["presence"]);
    const link = file("link.conf");
    fs.mkdirSync(path.dirname(link.path), { recursive: true });
    fs.symlinkSync("/etc/hostname", link.path);
    expect(await readRemoteFile(ssh, target, link.path, "utf8")).toEqual({ kind: "symlink" });
    await writeRemoteFile(ssh, target, link);
    expect(fs.lstatSync(link.path).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync("/etc/hostname", "utf8")).not.toBe(link.content);
  });

  it("carries binary content (a munge key with NUL bytes) byte for byte as base64", async () => {
    const key = randomBytes(1024);
    key[0] = 0;
    const wanted = file("munge.key", { content: key.toString("base64"), encoding: "base64", mode: "0400" });
    await writeRemoteFile(ssh, target, wanted);
    expect(fs.readFileSync(wanted.path).equals(key)).toBe(true);
    expect(fileDifferences(await readRemoteFile(ssh, target, wanted.path, "base64"), wanted)).toEqual([]);
  });

  it("refuses a host that presents another key than the pinned one, and writes nothing", async () => {
    const wanted = file("never.conf");
    const other = new SshPool();
    try {
      await expect(writeRemoteFile(other, { ...target, hostKey: otherHostKey }, wanted)).rejects.toThrow(/127\.0\.0\.1:.*never\.conf.*host key differs from the pinned key/);
    } finally {
      other.close();
    }
    expect(fs.existsSync(wanted.path)).toBe(false);
  });

  it("names the host and the path when the host does not answer", async () => {
    const closed = await freePort();
    const other = new SshPool();
    try {
      await expect(readRemoteFile(other, { ...target, port: closed }, "/etc/x.conf", "utf8")).rejects.toThrow(/^127\.0\.0\.1:\/etc\/x\.conf: ssh root@127\.0\.0\.1/);
    } finally {
      other.close();
    }
  });
});

describe("planFileChange: the provider's diff after a refresh", () => {
  const kept: KeptFile = { host: "10.0.0.1", path: "/etc/a", content: "x\n", encoding: "utf8", mode: "0644", owner: "root:root" };
  it.each<[string, Partial<KeptFile>, Partial<KeptFile>, string[], string[]]>([
    ["nothing when the host has what the stack wants", {}, {}, [], []],
    ["content after a hand edit", { content: "edited\n" }, {}, ["content"], []],
    ["mode written as 644 or 0644 alike", { mode: "644" }, {}, [], []],
    ["mode and owner", { mode: "0600", owner: "munge:munge" }, {}, ["mode", "owner"], []],
    ["the whole file when it disappeared", { observed: "absent" }, {}, ["content"], []],
    ["a replacement for a new path", {}, { path: "/etc/b" }, ["path"], ["path"]],
    ["a replacement for another host", {}, { host: "10.0.0.2" }, ["connection"], ["connection"]],
  ])("%s", (_what, old, next, changes, replaces) => {
    expect(planFileChange({ ...kept, ...old }, { ...kept, ...next })).toEqual({ changes, replaces });
  });
});
