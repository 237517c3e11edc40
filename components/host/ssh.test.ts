/**
 * SSH in a refresh storm, against a real sshd on loopback with sshd's defaults (`MaxStartups 10:30:100` drops
 * handshakes beyond 10 in flight): every read of the engine's refresh at once must still succeed.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../../test/support/sshd";
import { read } from "./fileProvider";
import { readRemoteFile } from "./remoteFile";
import { handshakeBackoffMs, isTransientHandshakeError, SshPool, type SshTarget } from "./ssh";

let sshd: TestSshd;
let file: string;

beforeAll(async () => {
  sshd = await startSshd("ssh-storm-");
  file = path.join(sshd.dir, "etc", "slurm.conf");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "ClusterName=ie\n");
});

afterAll(() => sshd?.stop());

/** Runs `n` reads at once; resolves with how many failed and the first few messages. */
async function storm(n: number, readOnce: (i: number) => Promise<unknown>): Promise<{ failures: number; messages: string[] }> {
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => readOnce(i)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  return { failures: failed.length, messages: failed.slice(0, 3).map((r) => String(r.reason)) };
}

/** A TCP proxy to sshd that cuts the first `drop` connections before sshd's banner, as sshd over MaxStartups does. */
function droppingProxy(to: number, drop: number): Promise<{ port: number; accepted: () => number; close: () => void }> {
  let seen = 0;
  const server = net.createServer((socket) => {
    if (++seen <= drop) {
      socket.destroy();
      return;
    }
    const upstream = net.connect(to, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    const end = (): void => (socket.destroy(), void upstream.destroy());
    socket.on("error", end);
    upstream.on("error", end);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      resolve({ port: address.port, accepted: () => seen, close: () => server.close() });
    }),
  );
}

describe("a refresh storm on one host", () => {
  it("gives 0 failures for 64 concurrent reads through the provider (one provider process)", async () => {
    const props = { connection: sshd.target, path: file, content: "", encoding: "utf8", mode: "0644", owner: "root:root", secret: false };
    const { failures, messages } = await storm(64, () => read(`127.0.0.1:${file}`, props));
    console.log(`64 concurrent provider reads of one host: ${failures} failures`, messages);
    expect(failures).toBe(0);
  }, 120_000);

  it("opens at most 4 connections to the host for 40 concurrent reads on one pool", async () => {
    const pool = new SshPool();
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, pool.openTo(sshd.target))), 5);
    try {
      const { failures } = await storm(40, () => readRemoteFile(pool, sshd.target, file, "utf8"));
      expect(failures).toBe(0);
      console.log(`40 concurrent reads on one pool: at most ${most} connections`);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(4);
    } finally {
      clearInterval(watch);
      pool.close();
    }
  }, 120_000);

  // Twice sshd's 10 handshakes in flight, each read on its own connection (as separate pools would open them).
  it("gives 0 failures for 20 concurrent reads each on its own connection (handshakes capped per host, retried)", async () => {
    const pools = Array.from({ length: 20 }, () => new SshPool());
    try {
      const { failures, messages } = await storm(20, (i) => readRemoteFile(pools[i], sshd.target, file, "utf8"));
      console.log(`20 concurrent reads on 20 connections: ${failures} failures`, messages);
      expect(failures).toBe(0);
    } finally {
      for (const p of pools) p.close();
    }
  }, 120_000);
});

describe("handshake retries", () => {
  it("retries a handshake the host dropped, and logs in on a later try", async () => {
    const proxy = await droppingProxy(sshd.port, 2);
    const pool = new SshPool();
    try {
      const target: SshTarget = { ...sshd.target, port: proxy.port };
      expect((await pool.exec(target, "echo ok")).stdout).toBe("ok\n");
      expect(proxy.accepted()).toBe(3);
    } finally {
      pool.close();
      proxy.close();
    }
  });

  it("gives up after its tries with the host and the reason", async () => {
    const proxy = await droppingProxy(sshd.port, 100);
    const pool = new SshPool({ handshakeTries: 2 });
    try {
      await expect(pool.exec({ ...sshd.target, port: proxy.port }, "true")).rejects.toThrow(/^ssh root@127\.0\.0\.1:\d+: .*(lost before handshake|ECONNRESET).*\(after 2 tries\)$/);
    } finally {
      pool.close();
      proxy.close();
    }
  });

  it("does not retry what a retry cannot cure, and backs off boundedly", () => {
    for (const m of ["Connection lost before handshake", "read ECONNRESET", "Timed out while waiting for handshake"]) expect(isTransientHandshakeError(m)).toBe(true);
    for (const m of ["connect ECONNREFUSED 127.0.0.1:1", "Host key verification failed", "All configured authentication methods failed"]) expect(isTransientHandshakeError(m)).toBe(false);
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => handshakeBackoffMs(a, 1))).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect(handshakeBackoffMs(1, 0)).toBe(125);
  });
});
