import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = path.join(__dirname, "write-file.sh");
const owner = `${os.userInfo().username}:${spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim()}`;

function writeFile(target: string, mode: string, content: string, who = owner) {
  const r = spawnSync("bash", [SCRIPT, target, mode, who], { input: content, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/host/write-file.sh", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "write-file-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("creates the parent directory and the file with its mode", () => {
    const target = path.join(dir, "etc", "slurm", "slurm.conf");
    const r = writeFile(target, "0640", "ClusterName=ie\n");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`changed ${target}`);
    expect(fs.readFileSync(target, "utf8")).toBe("ClusterName=ie\n");
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe("640");
  });

  it("says unchanged and leaves the file alone the second time", () => {
    const target = path.join(dir, "a.conf");
    writeFile(target, "0644", "x=1\n");
    const before = fs.statSync(target);
    const r = writeFile(target, "0644", "x=1\n");
    expect(r.stdout.trim()).toBe(`unchanged ${target}`);
    expect(fs.statSync(target).ino).toBe(before.ino);
  });

  it("replaces the file (a new inode: atomic rename) when the content differs", () => {
    const target = path.join(dir, "a.conf");
    writeFile(target, "0644", "x=1\n");
    const before = fs.statSync(target).ino;
    expect(writeFile(target, "0644", "x=2\n").stdout.trim()).toBe(`changed ${target}`);
    expect(fs.readFileSync(target, "utf8")).toBe("x=2\n");
    expect(fs.statSync(target).ino).not.toBe(before);
  });

  it("fixes a mode that drifted even when the content is the same", () => {
    const target = path.join(dir, "a.conf");
    writeFile(target, "0644", "x=1\n");
    fs.chmodSync(target, 0o666);
    expect(writeFile(target, "0644", "x=1\n").stdout.trim()).toBe(`changed ${target}`);
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe("644");
  });

  it("keeps content byte for byte, without a trailing newline too", () => {
    const target = path.join(dir, "key");
    writeFile(target, "0600", "no newline \\ $x 'q'");
    expect(fs.readFileSync(target, "utf8")).toBe("no newline \\ $x 'q'");
  });

  it("leaves no temporary file behind", () => {
    const target = path.join(dir, "a.conf");
    writeFile(target, "0644", "x=1\n");
    writeFile(target, "0644", "x=1\n");
    expect(fs.readdirSync(dir)).toEqual(["a.conf"]);
  });

  it("refuses a relative path, a bad mode or owner", () => {
    expect(writeFile("relative/a", "0644", "").status).toBe(2);
    expect(writeFile(path.join(dir, "a"), "rw-r--r--", "").status).toBe(2);
    expect(writeFile(path.join(dir, "a"), "0644", "", "root").status).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("scripts/host/users.sh", () => {
  it("refuses arguments that are not NAME UID SSHKEY triples", () => {
    const r = spawnSync("bash", [path.join(__dirname, "users.sh"), "alice", "2001"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("expected NAME UID SSHKEY triples");
  });
});
