import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const script = path.join(__dirname, "prepare-host.sh");
let dir: string;
let base: string;
let host: string;
let overlay: string;

function put(root: string, rel: string, content: string, mode = 0o644): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
}

function prepare(...extra: string[]): { status: number | null; out: string[]; stderr: string } {
  const r = spawnSync("bash", [script, base, host, overlay, ...extra], { encoding: "utf8" });
  return { status: r.status, out: r.stdout.split("\n").filter((l) => l !== ""), stderr: r.stderr };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "prepare-host-"));
  base = path.join(dir, "base");
  host = path.join(dir, "hosts", "lab9");
  overlay = path.join(dir, "overlay");
  put(base, "etc/os-release", "ID=debian\n");
  put(base, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  put(base, "etc/ssh/ssh_host_ed25519_key", "private", 0o600);
  put(base, "etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA base");
  put(base, "etc/apt/apt.conf.d/docker-clean", "DPkg::Post-Invoke {};\n");
  mkdirSync(path.join(base, "root"), { mode: 0o700 });
  chmodSync(path.join(base, "root"), 0o700);
  symlinkSync("../run/systemd/resolve/stub-resolv.conf", path.join(base, "etc", "resolv.conf"));
  put(overlay, "etc/hostname", "lab9\n");
  put(overlay, "etc/resolv.conf", "options timeout:1\n");
  mkdirSync(path.join(overlay, "root", ".ssh"), { recursive: true });
  chmodSync(path.join(overlay, "root"), 0o755);
  chmodSync(path.join(overlay, "root", ".ssh"), 0o700);
  put(overlay, "root/.ssh/authorized_keys", "ssh-ed25519 AAAA lab\n", 0o600);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("prepare-host.sh", () => {
  it("copies the base and gives the copy its own identity", () => {
    const r = prepare("--remove", "/etc/apt/apt.conf.d/docker-clean");
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(host, "etc/machine-id"), "utf8")).toBe("");
    expect(existsSync(path.join(host, "etc/ssh/ssh_host_ed25519_key"))).toBe(false);
    expect(existsSync(path.join(host, "etc/ssh/ssh_host_ed25519_key.pub"))).toBe(false);
    expect(existsSync(path.join(host, "etc/apt/apt.conf.d/docker-clean"))).toBe(false);
    // the base itself is untouched
    expect(readFileSync(path.join(base, "etc/machine-id"), "utf8")).not.toBe("");
    expect(existsSync(path.join(base, "etc/ssh/ssh_host_ed25519_key"))).toBe(true);
  });

  it("writes the overlay with its modes, replaces symlinks instead of writing through them, keeps /root 0700", () => {
    expect(prepare().status).toBe(0);
    expect(readFileSync(path.join(host, "etc/hostname"), "utf8")).toBe("lab9\n");
    const resolv = path.join(host, "etc/resolv.conf");
    expect(statSync(resolv).isFile()).toBe(true);
    expect(readFileSync(resolv, "utf8")).toBe("options timeout:1\n");
    expect(statSync(path.join(host, "root/.ssh/authorized_keys")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(host, "root/.ssh")).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(host, "root")).mode & 0o777).toBe(0o700);
  });

  it("changes nothing the second time, and only what differs after an edit", () => {
    const first = prepare("--remove", "/etc/apt/apt.conf.d/docker-clean");
    expect(first.out.length).toBeGreaterThan(3);
    expect(prepare("--remove", "/etc/apt/apt.conf.d/docker-clean").out).toEqual([]);
    put(overlay, "etc/hostname", "lab10\n");
    expect(prepare().out).toEqual(["lab9: wrote /etc/hostname"]);
    // a host already prepared keeps the identity it booted with
    writeFileSync(path.join(host, "etc/machine-id"), "feedface\n");
    expect(prepare().out).toEqual([]);
    expect(readFileSync(path.join(host, "etc/machine-id"), "utf8")).toBe("feedface\n");
  });

  it("refuses a missing base and bad arguments", () => {
    rmSync(base, { recursive: true });
    expect(prepare().status).toBe(1);
    expect(prepare("--frobnicate", "x").status).toBe(2);
  });
});
