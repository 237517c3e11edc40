/** Per-user caps as a table: what a user holds against the cap, refused with the cap's name and value. */
import { describe, expect, it } from "vitest";
import type { Lease, Ledger } from "./leases";
import { checkCaps, formatSize, parsePodmanSize } from "./limits";

const lease = (uid: number, ip?: string, gpus: number[] = []): Lease => ({ container: `c${Math.random()}`, uid, ...(ip ? { ip } : {}), gpus, since: "2026-01-01T00:00:00Z" });
const ledger = (...leases: Lease[]): Ledger => ({ version: 1, leases });
const caps = { maxContainers: 3, maxAddresses: 2, maxGpus: 1 };

describe("per-user caps, judged under the ledger's lock", () => {
  it("lets a user up to each cap, and counts only their own leases", () => {
    const l = ledger(lease(2001, "10.0.0.2"), lease(2002, "10.0.0.3", [0]), lease(2002, "10.0.0.4", [1]), lease(2002));
    expect(() => checkCaps(l, 2001, { ip: true, gpus: 1 }, caps, "section")).not.toThrow();
  });

  it.each<[string, Lease[], { ip: boolean; gpus: number }, RegExp]>([
    ["containers", [lease(2001), lease(2001), lease(2001)], { ip: false, gpus: 0 }, /^run: refused: you hold 3 containers and the cap is 3 \(containers\.maxContainersPerUser\)/],
    ["addresses", [lease(2001, "10.0.0.2"), lease(2001, "10.0.0.3")], { ip: true, gpus: 0 }, /^--ip: refused: you hold 2 addresses and the cap is 2 \(containers\.maxAddressesPerUser\)/],
    ["GPUs", [lease(2001, undefined, [0])], { ip: false, gpus: 1 }, /^--gpu: refused: you hold 1 GPUs, asked for 1 more, and the cap is 1 \(containers\.maxGpusPerUser\)/],
    ["GPUs asked at once", [], { ip: false, gpus: 2 }, /you hold 0 GPUs, asked for 2 more, and the cap is 1/],
  ])("refuses a run past the cap on %s, naming it", (_what, leases, request, message) => {
    expect(() => checkCaps(ledger(...leases), 2001, request, caps, "section")).toThrow(message);
  });

  it("names the user's own cap when it comes from their containerCaps", () => {
    expect(() => checkCaps(ledger(lease(2001, "10.0.0.2")), 2001, { ip: true, gpus: 0 }, { ...caps, maxAddresses: 1 }, "user")).toThrow(/\(your containerCaps\.maxAddresses\)/);
  });

  it("a cap of 0 addresses refuses every --ip but not a run without one", () => {
    const none = { ...caps, maxAddresses: 0 };
    expect(() => checkCaps(ledger(), 2001, { ip: true, gpus: 0 }, none, "section")).toThrow(/cap is 0/);
    expect(() => checkCaps(ledger(), 2001, { ip: false, gpus: 0 }, none, "section")).not.toThrow();
  });
});

describe("sizes", () => {
  it.each<[string, number | undefined]>([
    ["512m", 512 * 1024 ** 2],
    ["4G", 4 * 1024 ** 3],
    ["1048576", 1048576],
    ["1k", 1024],
    ["1t", undefined],
    ["-1", undefined],
    ["1.5g", undefined],
  ])("podman's %s is %s bytes", (text, bytes) => {
    expect(parsePodmanSize(text)).toBe(bytes);
  });

  it("prints a ceiling in the largest whole unit", () => {
    expect(formatSize(16 * 1024 ** 3)).toBe("16 GiB");
    expect(formatSize(384 * 1024 ** 2)).toBe("384 MiB");
    expect(formatSize(1000)).toBe("1000 bytes");
  });
});
