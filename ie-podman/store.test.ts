/**
 * The ledger under its lock with real concurrent processes: every one of them takes an address, none
 * twice; a corrupt ledger is refused with the file named.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readLedger } from "./store";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-store-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TAKER = `
const { withLedger } = require(${JSON.stringify(path.join(__dirname, "store.ts"))});
const { freeAddress, withLease } = require(${JSON.stringify(path.join(__dirname, "leases.ts"))});
withLedger(process.argv[1], (ledger) => {
  const ip = freeAddress(ledger, "10.89.60.0/22");
  return { ledger: withLease(ledger, { container: "c" + process.pid, uid: 2001, ip, gpus: [], since: "now" }), result: ip };
}).then((ip) => console.log(ip));
`;

function take(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", TAKER, file], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`taker exited ${code}`))));
  });
}

describe("the ledger on disk", () => {
  it("gives concurrent processes distinct addresses", async () => {
    const file = path.join(dir, "ledger.json");
    const ips = await Promise.all(Array.from({ length: 8 }, () => take(file)));
    expect(new Set(ips).size).toBe(8);
    expect(readLedger(file).leases.map((l) => l.ip).sort()).toEqual([...ips].sort());
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("refuses a corrupt ledger, naming the file and the field", () => {
    const file = path.join(dir, "bad.json");
    fs.writeFileSync(file, JSON.stringify({ version: 1, leases: [{ container: "x", uid: -1, gpus: [], since: "s" }] }));
    expect(() => readLedger(file)).toThrow(new RegExp(`${file}: leases.0.uid: .*an admin must repair`));
    fs.writeFileSync(file, "{");
    expect(() => readLedger(file)).toThrow(/not JSON/);
  });
});
