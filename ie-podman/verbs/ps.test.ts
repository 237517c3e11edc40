import { describe, expect, it } from "vitest";
import type { Lease } from "../leases";
import type { PodmanContainer } from "../ownership";
import { psRows, psTable } from "./ps";

const NOW = 1_800_000_000;
const WEEK = 7 * 86400;
const c = (id: string, owner: string, state: string, exitedAt = 0): PodmanContainer => ({
  Id: id.padEnd(64, "0"),
  Names: [`n-${id}`],
  Image: "localhost/base:latest",
  State: state,
  Labels: { "ie-podman.owner": owner },
  ExitedAt: exitedAt,
});
const containers = [c("a1", "2001", "running"), c("a2", "2001", "exited", NOW - 3600), c("b1", "2002", "running"), c("a3", "2001", "exited", NOW - 60)];
const leases: Lease[] = [
  { container: "a1".padEnd(64, "0"), uid: 2001, ip: "10.89.60.2", gpus: [1], since: "x" },
  { container: "a3".padEnd(64, "0"), uid: 2001, gpus: [], since: "x", stoppedAt: NOW - 8 * 86400 },
];

describe("ie-podman ps", () => {
  it("lists the caller's running containers, or all of them with -a", () => {
    expect(psRows(containers, leases, 2001, NOW, false, WEEK).map((r) => r.name)).toEqual(["n-a1"]);
    expect(psRows(containers, leases, 2001, NOW, true, WEEK).map((r) => r.name)).toEqual(["n-a1", "n-a2", "n-a3"]);
    expect(psRows(containers, leases, 2002, NOW, true, WEEK).map((r) => r.name)).toEqual(["n-b1"]);
  });

  it("shows address and GPUs from the ledger and how long each has been stopped (the ledger's time first)", () => {
    const rows = psRows(containers, leases, 2001, NOW, true, WEEK);
    expect(rows[0]).toMatchObject({ ip: "10.89.60.2", gpus: [1] });
    expect(rows[0].stoppedForSeconds).toBeUndefined();
    expect(rows[1].stoppedForSeconds).toBe(3600);
    expect(rows[2].stoppedForSeconds).toBe(8 * 86400);
    const table = psTable(rows).split("\n");
    expect(table[0]).toMatch(/^CONTAINER ID\s+NAME\s+IMAGE\s+STATE\s+IP\s+GPUS\s+STOPPED FOR\s+REAPER$/);
    expect(table[1]).toMatch(/^a10000000000\s+n-a1\s+localhost\/base:latest\s+running\s+10\.89\.60\.2\s+1\s+-\s+-$/);
    expect(table[3]).toMatch(/exited\s+-\s+-\s+8d 0h\s+removed within the hour$/);
  });

  it("says when the reaper removes each stopped container it leased, by the reaper's own rule", () => {
    const withLease: Lease[] = [...leases, { container: "a2".padEnd(64, "0"), uid: 2001, gpus: [], since: "x", stoppedAt: NOW - 5 * 86400 - 3600 }];
    const rows = psRows(containers, withLease, 2001, NOW, true, WEEK);
    expect(rows.map((r) => r.removedInSeconds)).toEqual([undefined, 86400 + 23 * 3600, 0]);
    expect(psTable(rows).split("\n")[2]).toMatch(/5d 1h\s+removed in 1d 23h$/);
    // No lease, no reaper: a container ie-podman did not lease is not its to remove.
    expect(psRows(containers, leases, 2001, NOW, true, WEEK)[1].removedInSeconds).toBeUndefined();
  });

  it("shows the Slurm job holding the GPUs, and why it ended, in a JOB column on a host whose GPUs Slurm owns", () => {
    const slurmLeases: Lease[] = [
      { container: "a1".padEnd(64, "0"), uid: 2001, gpus: [1], since: "x", job: "123" },
      { container: "a2".padEnd(64, "0"), uid: 2001, gpus: [0], since: "x", job: "124", ended: "Slurm job 124 ended: its time limit was reached" },
    ];
    const rows = psRows(containers, slurmLeases, 2001, NOW, true, WEEK);
    expect(rows[0]).toMatchObject({ job: "123" });
    expect(rows[1]).toMatchObject({ job: "124", jobEnded: "Slurm job 124 ended: its time limit was reached" });
    const table = psTable(rows, true).split("\n");
    expect(table[0]).toMatch(/^CONTAINER ID\s+NAME\s+IMAGE\s+STATE\s+IP\s+GPUS\s+JOB\s+STOPPED FOR\s+REAPER$/);
    expect(table[1]).toMatch(/\s1\s+123\s+-\s+-$/);
    expect(table[2]).toMatch(/\s0\s+124 \(ended: its time limit was reached\)\s+1h 0m/);
    expect(table[3]).toMatch(/\s-\s+-\s+1m/);
    // Without Slurm, no JOB column: the table is as it was.
    expect(psTable(rows).split("\n")[0]).not.toMatch(/JOB/);
  });
});
