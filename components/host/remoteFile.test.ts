/**
 * The ManagedFile provider's logic against a real sshd on loopback, started by this test with its own host
 * key and a login key: what `pulumi up` writes and what `pulumi refresh` / `npm run drift` read back. Needs
 * root (files are chowned, sshd logs in as root); `test/setup/prerequisites.ts` installs openssh-server.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startSshd, type TestSshd } from "../../test/support/sshd";
import {
  digestDifferences,
  fileDifferences,
  readRemoteDigest,
  readRemoteFile,
  writeRemoteFile,
  type DesiredFile,
} from "./remoteFile";
import { SshPool, type SshTarget } from "./ssh";

let sshd: TestSshd;
let dir: string;
let target: SshTarget;
let otherHostKey: string;
const ssh = new SshPool();

beforeAll(async () => {
  sshd = await startSshd("managed-file-");
  ({ dir, target, otherHostKey } = sshd);
});

afterAll(() => {
  ssh.close();
  sshd?.stop();
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

  it("reads a large file by its sha256 and size only, and sees a changed byte", async () => {
    const bytes = randomBytes(300_000);
    const wanted = file("ie-podman.cjs", { content: bytes.toString("base64"), encoding: "base64", mode: "0755" });
    await writeRemoteFile(ssh, target, wanted);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const desired = { path: wanted.path, sha256, size: bytes.length, mode: "0755", owner: "root:root" };
    expect(await readRemoteDigest(ssh, target, wanted.path)).toEqual({ kind: "file", sha256, size: bytes.length, mode: "0755", owner: "root:root" });
    const edited = Buffer.from(bytes);
    edited[1000] ^= 1;
    fs.writeFileSync(wanted.path, edited);
    expect(digestDifferences(await readRemoteDigest(ssh, target, wanted.path), desired)).toEqual(["content"]);
    expect(await readRemoteDigest(ssh, target, `${wanted.path}.absent`)).toEqual({ kind: "absent" });
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
