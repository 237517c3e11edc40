/**
 * A rented VM its owner can log in to: alice-vm's guest (Debian with cloud-init, the lab's golden image) has
 * read its seed, so alice logs in with her key, through lab1 as an admin would reach the VM network, and finds
 * her account, the rental's name and the disk grown to the rental's size. Root, passwords and bob's key are
 * refused. A memory change restarts that VM alone, with the same address, host keys and files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Document } from "yaml";
import { apply, changedLabStack, inGuest, must, onHost, projectRoot, waitFor, type Run } from "./support";

const GIB = 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), "vm-login-"));
const alice = { vmHost: "lab1", ip: "10.77.8.10", knownHosts: join(dir, "known_hosts") };
const aliceKey = join(projectRoot, ".lab", "userkeys", "alice");
const bobKey = join(projectRoot, ".lab", "userkeys", "bob");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asAlice = (command: string, strict = false): Run => inGuest(alice, "alice", aliceKey, command, { strict });
const serialLog = () => onHost("lab1", "cat /var/log/libvirt/qemu/rental-alice-vm-serial.log 2>/dev/null || true").stdout;

/** alice's first successful login, polled; returns what `id` printed. */
function loginWorks(strict: boolean): Promise<string> {
  return waitFor(
    "alice's SSH login to alice-vm",
    () => {
      const r = asAlice("id", strict);
      return r.code === 0 ? r.stdout.trim() : undefined;
    },
    600_000,
    5000,
  );
}

/** The epoch seconds of a `date`-readable time printed on a host. */
function epoch(host: string, when: string): number {
  return Number(must(onHost(host, `date -d ${JSON.stringify(when)} +%s.%N`), `date -d ${when}`).trim());
}

describe("alice's rental VM, as alice", () => {
  beforeAll(async () => {
    const marker = await waitFor("alice-vm's guest marker", () => /IE-LAB-GUEST-UP alice-vm root=\/dev\/sda1 up=(\S+)s/.exec(serialLog())?.[0], 600_000, 5000);
    console.log(`alice-vm: ${marker}`);
    await loginWorks(false);
  }, 1_300_000);

  it("logs in with her key: her account, the rental's name, the disk grown from the golden image's 3 GiB to 10 GiB", () => {
    const session = must(asAlice("id; hostname; df -B1 --output=source,size,target /; df -h /"), "alice's session");
    console.log(`ssh -J root@lab1 -i <alice's key> alice@${alice.ip}:\n${session}`);
    const [id, hostname, , dfRow] = session.split("\n");
    expect(id).toMatch(/^uid=\d+\(alice\) gid=\d+\(alice\)/);
    expect(hostname).toBe("alice-vm");
    const [source, size, target] = dfRow.trim().split(/\s+/);
    expect(source).toBe("/dev/sda1");
    expect(target).toBe("/");
    // The 10 GiB disk less its 1 MiB of partition table and ext4's own metadata; the image's was 3 GiB.
    expect(Number(size)).toBeGreaterThan(9 * GIB);
    expect(Number(size)).toBeLessThanOrEqual(10 * GIB);
  });

  it("reports the time from the VM's start to its SSH service", () => {
    const started = /^(\S+ \S+): starting up/gm;
    const starts = [...must(onHost("lab1", "cat /var/log/libvirt/qemu/rental-alice-vm.log"), "qemu log").matchAll(started)].map((m) => m[1]);
    const sshd = must(asAlice("systemctl show ssh.service -p ActiveEnterTimestamp --value; systemd-analyze | head -n 1; cloud-init analyze show 2>/dev/null | tail -n 2 || true"), "guest timings");
    console.log(`alice-vm boot: QEMU started at ${starts.at(-1)} (libvirt's log); in the guest:\n${sshd}`);
    expect(starts.length).toBeGreaterThan(0);
    const seconds = epoch("lab1", sshd.split("\n")[0]) - epoch("lab1", starts.at(-1) ?? "");
    console.log(`alice-vm: ${seconds.toFixed(1)} s from QEMU's start to sshd running (this boot; TCG)`);
    expect(seconds).toBeGreaterThan(0);
  });

  it("refuses root's login and any password login", () => {
    const root = inGuest(alice, "root", aliceKey, "id");
    console.log(`ssh root@alice-vm with alice's key: exit ${root.code}: ${root.stderr.trim()}`);
    expect(root.code).toBe(255);
    expect(root.stdout).not.toContain("uid=0");
    expect(root.stderr).toMatch(/Permission denied/);
    const password = inGuest(alice, "alice", aliceKey, "id", { sshOptions: ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"] });
    console.log(`ssh alice@alice-vm with a password: exit ${password.code}: ${password.stderr.trim()}`);
    expect(password.code).toBe(255);
    // The server offers public keys only: no method a password could use.
    expect(password.stderr).toMatch(/Permission denied \(publickey\)/);
    const sshd = must(asAlice("sudo -n sshd -T | grep -E '^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin) '"), "sshd -T");
    console.log(`sshd in alice-vm:\n${sshd}`);
    expect(sshd).toMatch(/^passwordauthentication no$/m);
    expect(sshd).not.toMatch(/^permitrootlogin yes$/m);
  });

  it("refuses bob's key", () => {
    for (const user of ["alice", "bob", "root"]) {
      const r = inGuest(alice, user, bobKey, "id");
      console.log(`ssh ${user}@alice-vm with bob's key: exit ${r.code}: ${r.stderr.trim()}`);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/Permission denied/);
    }
  });

  it("comes back from a memory change, restarting that VM alone, with the same address, host keys and files", async () => {
    const proof = `written before the change ${Date.now()}`;
    must(asAlice(`echo '${proof}' > ~/proof && sync && ip -4 -o addr show scope global | awk '{print $4}'`), "write the proof file");
    const before = must(onHost("lab1", `ssh-keyscan -t ed25519 ${alice.ip} 2>/dev/null`), "ssh-keyscan").trim();
    const changed = changedLabStack("vm-login-memory", (doc: Document) => {
      const rentals = (doc.getIn(["config", "ie:vms", "rentals"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
      doc.setIn(["config", "ie:vms", "rentals"], doc.createNode(rentals.map((r) => (r.name === "alice-vm" ? { ...r, memory: "768MiB" } : r))));
    });
    const bobId = must(onHost("lab1", "virsh domid rental-bob-vm"), "bob-vm's domain id").trim();
    const t0 = Date.now();
    const out = apply("--config-file", changed);
    const applied = Date.now();
    // That VM alone: its domain XML and its define/start command change, and bob-vm keeps running as it was.
    const updated = [...out.matchAll(/^\[.*\]\s+\S+\s+update\s+(\S+)/gm)].map((m) => m[1]).sort();
    expect(updated).toEqual(["lab1-file-alice-vm-domain.xml", "vm-alice-vm"]);
    expect(must(onHost("lab1", "virsh domid rental-bob-vm"), "bob-vm's domain id").trim()).toBe(bobId);
    expect(must(onHost("lab1", "virsh dominfo rental-alice-vm"), "dominfo")).toMatch(/Max memory:\s+786432 KiB/);
    // The known_hosts of the first login, strictly: a new host key would refuse the login.
    await loginWorks(true);
    const loggedIn = Date.now();
    console.log(`alice-vm after the memory change: apply ${((applied - t0) / 1000).toFixed(1)} s (shutdown, define, start), then ${((loggedIn - applied) / 1000).toFixed(1)} s to alice's SSH login; define to login ≤ ${((loggedIn - t0) / 1000).toFixed(1)} s`);
    const after = must(asAlice("cat ~/proof; ip -4 -o addr show scope global | awk '{print $4}'; awk '/MemTotal/ {print $2}' /proc/meminfo", true), "read the proof file back");
    const [text, address, memKiB] = after.trim().split("\n");
    expect(text).toBe(proof);
    expect(address).toBe(`${alice.ip}/24`);
    expect(Number(memKiB)).toBeLessThan(786432);
    expect(must(onHost("lab1", `ssh-keyscan -t ed25519 ${alice.ip} 2>/dev/null`), "ssh-keyscan").trim()).toBe(before);
    // Back to the stack as written: 1 GiB again. Its boot is not waited for: the login above proved the path.
    apply();
    expect(must(onHost("lab1", "virsh dominfo rental-alice-vm"), "dominfo")).toMatch(/Max memory:\s+1048576 KiB/);
    expect(must(onHost("lab1", "virsh domstate rental-alice-vm"), "domstate").trim()).toBe("running");
  }, 1_800_000);
});
