import { describe, expect, it } from "vitest";
import { EMPTY_LEDGER, ExhaustedError, freeAddress, freeGpus, leasesToReap, reconcile, withLease, withoutContainers, type Ledger, type Lease } from "./leases";

const lease = (container: string, ip?: string, gpus: number[] = []): Lease => ({ container, uid: 2001, ip, gpus, since: "2026-12-01T00:00:00Z" });

/** Hands out `n` addresses one after another, as n ie-podman runs would. */
function handOut(pool: string, n: number): { ledger: Ledger; addresses: string[] } {
  let ledger = EMPTY_LEDGER;
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = freeAddress(ledger, pool);
    addresses.push(ip);
    ledger = withLease(ledger, lease(`c${i}`, ip));
  }
  return { ledger, addresses };
}

describe("freeAddress", () => {
  it("skips the network, gateway and broadcast addresses", () => {
    expect(freeAddress(EMPTY_LEDGER, "10.89.60.0/22")).toBe("10.89.60.2");
    const { addresses } = handOut("10.89.60.0/30", 1);
    expect(addresses).toEqual(["10.89.60.2"]);
    expect(() => handOut("10.89.60.0/30", 2)).toThrow(ExhaustedError);
  });

  it("hands out more than 254 distinct addresses from a pool larger than /24", () => {
    const { addresses } = handOut("10.89.60.0/22", 1021);
    expect(new Set(addresses).size).toBe(1021);
    expect(addresses).toContain("10.89.61.0");
    expect(addresses).toContain("10.89.63.254");
    expect(addresses).not.toContain("10.89.63.255");
    expect(addresses).not.toContain("10.89.60.1");
  });

  it("says the pool is exhausted instead of reusing an address", () => {
    const { ledger } = handOut("10.89.60.0/29", 5);
    expect(() => freeAddress(ledger, "10.89.60.0/29")).toThrow(/every address of 10\.89\.60\.0\/29 is taken \(5 containers/);
  });

  it("reuses an address once its container is gone", () => {
    const { ledger } = handOut("10.89.60.0/29", 5);
    expect(freeAddress(withoutContainers(ledger, new Set(["c2"])), "10.89.60.0/29")).toBe("10.89.60.4");
  });
});

describe("freeGpus", () => {
  it("assigns free GPUs exclusively, lowest first", () => {
    const ledger = withLease(EMPTY_LEDGER, lease("a", undefined, [0]));
    expect(freeGpus(ledger, 2, 1)).toEqual([1]);
    expect(() => freeGpus(withLease(ledger, lease("b", undefined, [1])), 2, 1)).toThrow(/1 GPU asked for, 0 of 2 free/);
  });

  it("says a host without GPUs has none to give", () => {
    expect(() => freeGpus(EMPTY_LEDGER, 0, 1)).toThrow(/this host has no GPUs/);
  });

  it("refuses two leases for one container", () => {
    expect(() => withLease(withLease(EMPTY_LEDGER, lease("a")), lease("a"))).toThrow(/already holds a lease/);
  });
});

const NOW = 1_800_000_000;
const DAY = 86400;

describe("reconcile: the ledger follows what Podman has", () => {
  const ledger: Ledger = {
    version: 1,
    leases: [lease("instant"), lease("running", "10.89.60.2"), lease("exited", "10.89.60.3"), lease("gone", "10.89.60.4", [0]), { ...lease("again"), stoppedAt: NOW - DAY }, { ...lease("edited"), stoppedAt: NOW - 8 * DAY }],
  };
  const podman = [
    { Id: "running", State: "running" },
    { Id: "exited", State: "exited", ExitedAt: NOW - 3600 },
    { Id: "again", State: "running" },
    { Id: "edited", State: "exited", ExitedAt: NOW - 60 },
    { Id: "created", State: "created" },
    { Id: "instant", State: "exited", ExitedAt: -62135596800 },
  ];
  const after = reconcile(ledger, podman, NOW);
  const byId = new Map(after.leases.map((l) => [l.container, l]));

  it("drops the leases of containers that are gone, freeing their address and GPU", () => {
    expect(byId.has("gone")).toBe(false);
    expect(freeGpus(after, 1, 1)).toEqual([0]);
  });

  it("records Podman's exit time for a newly stopped container and clears it for a running one", () => {
    expect(byId.get("exited")?.stoppedAt).toBe(NOW - 3600);
    expect(byId.get("running")?.stoppedAt).toBeUndefined();
    expect(byId.get("again")?.stoppedAt).toBeUndefined();
  });

  it("takes now for a container whose exit Podman did not time (Go's zero time)", () => {
    expect(byId.get("instant")?.stoppedAt).toBe(NOW);
  });

  it("keeps a recorded stop time while the container stays stopped", () => {
    expect(byId.get("edited")?.stoppedAt).toBe(NOW - 8 * DAY);
  });

  it("reaps only what has been stopped longer than the limit", () => {
    expect(leasesToReap(after, NOW, 7 * DAY).map((l) => l.container)).toEqual(["edited"]);
    expect(leasesToReap(after, NOW, 1800).map((l) => l.container)).toEqual(["exited", "edited"]);
  });
});

describe("leases holding a Slurm allocation", () => {
  it("outlive their vanished container until the allocation has ended (sync ends it, then the lease goes)", () => {
    const held: Lease = { container: "gone", uid: 2001, gpus: [0], since: "2026-12-01T00:00:00Z", job: "123" };
    const ended: Lease = { ...held, container: "gone2", ended: "Slurm job 123 ended: x" };
    const ledger = { version: 1 as const, leases: [held, ended, lease("gone3")] };
    expect(reconcile(ledger, [], 1000).leases).toEqual([{ ...held, stoppedAt: 1000 }]);
  });
});
