/**
 * The yearly refresh in miniature, on the lab, through the engine's path: lab4 joins with lab3's roles (and
 * takes over bob-vm as a VM host) while lab3 drains, in one edit and one apply; then lab3 leaves the stack.
 * Data written before must read back the same, a Slurm job running through the refresh must finish, and the
 * cluster must end HEALTH_OK with lab4's mon in the quorum and nothing of lab3 in the maps. The refusals
 * come first: a drain that would leave 2 mons, and the removal of a host that was never drained.
 *
 * Runs in its own phase of `npm run test:lab`, after every other lab test: it changes the lab's shape.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Document } from "yaml";
import { labStatePath } from "../../../scripts/lab/lab";
import { apply, asUser, changedLabStack, inGuest, must, onHost, projectRoot, summaryCounts, waitFor, type Run } from "../support";

const LAB4 = { name: "lab4", address: "10.77.0.14", hostKey: "file:.lab/hostkeys/lab4.pub" };
const DATA_MIB = 20;
const times: [string, number][] = [];

async function timed<T>(step: string, work: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    const seconds = (Date.now() - started) / 1000;
    times.push([step, seconds]);
    console.log(`step "${step}": ${seconds.toFixed(1)} s`);
  }
}

/** What a command printed when the lab's apply last ran it, from the lab's state (the apply prints only its lines). */
function stdoutOf(command: string): string {
  const state = JSON.parse(readFileSync(labStatePath(), "utf8")) as { resources: Record<string, { outputs?: { stdout?: string } }> };
  const out = state.resources[`command:remote:Command::${command}`]?.outputs?.stdout ?? "";
  console.log(`${command}:\n${out}`);
  return out;
}

function lab(...args: string[]): { code: number; out: string } {
  const r = spawnSync(join(projectRoot, "node_modules", ".bin", "tsx"), ["scripts/lab/cli.ts", ...args], { cwd: projectRoot, encoding: "utf8", timeout: 1_200_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  console.log(`lab ${args.join(" ")} (exit ${r.status}):\n${out.split("\n").slice(-30).join("\n")}`);
  return { code: r.status ?? -1, out };
}

/** The shipped lab stack edited: lab4 added (lab3's roles, plus vm-host), with `edit` applied to the hosts. */
function stackWithLab4(label: string, editHosts: (hosts: Record<string, unknown>[]) => Record<string, unknown>[], nodes: string[], bobHost = "lab1"): string {
  return changedLabStack(label, (doc: Document) => {
    const hosts = (doc.getIn(["config", "ie:hosts"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
    const lab3 = hosts.find((h) => h.name === "lab3");
    if (lab3 === undefined) throw new Error("the lab stack has no lab3");
    const lab4 = { ...lab3, ...LAB4, roles: [...(lab3.roles as string[]), "vm-host"] };
    doc.setIn(["config", "ie:hosts"], doc.createNode(editHosts([...hosts, lab4])));
    doc.setIn(["config", "ie:slurm", "partitions", 0, "nodes"], doc.createNode(nodes));
    const rentals = (doc.getIn(["config", "ie:vms", "rentals"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
    doc.setIn(["config", "ie:vms", "rentals"], doc.createNode(rentals.map((r) => (r.name === "bob-vm" ? { ...r, host: bobHost } : r))));
  });
}

const ceph = (args: string) => must(onHost("lab1", `ceph ${args}`), `ceph ${args}`);
const osdTree = () => JSON.parse(ceph("osd tree --format json")) as { nodes: { name: string; type: string; reweight?: number; children?: number[]; id: number }[] };
const osdsOf = (host: string) => {
  const tree = osdTree();
  const bucket = tree.nodes.find((n) => n.type === "host" && n.name === host);
  return (bucket?.children ?? []).map((id) => tree.nodes.find((n) => n.id === id)).filter((n) => n !== undefined);
};
const quorum = () => (JSON.parse(ceph("quorum_status --format json")) as { quorum_names: string[] }).quorum_names.sort();
const monmap = () => (JSON.parse(ceph("mon dump --format json")) as { mons: { name: string }[] }).mons.map((m) => m.name).sort();
const sinfo = () => must(onHost("lab1", "sinfo --noheader --Node --format='%N %T'"), "sinfo");
const sums: Record<string, string> = {};
const checksums = () => ({
  cephfs: must(onHost("lab2", `sha256sum < /home/alice/refresh-data.bin`), "sha256 of the CephFS file").split(" ")[0],
  rbd: must(onHost("lab1", "rbd export vms/refresh-data - 2>/dev/null | sha256sum"), "sha256 of the RBD image").split(" ")[0],
});

const step1 = () => stackWithLab4("refresh-1-lab4-joins-lab3-drains", (hosts) => hosts.map((h) => (h.name === "lab3" ? { ...h, drain: true, drainTimeout: "5m" } : h)), ["lab2", "lab3", "lab4"], "lab4");
const step2 = () => stackWithLab4("refresh-2-lab3-leaves", (hosts) => hosts.filter((h) => h.name !== "lab3"), ["lab2", "lab4"], "lab4");
let jobId = "";
let bobImageId = "";
// bob's VM, seen by bob through its VM host: lab1 before the move, lab4 after; its host key pinned at first contact.
const guestDir = mkdtempSync(join(tmpdir(), "refresh-guest-"));
afterAll(() => rmSync(guestDir, { recursive: true, force: true }));
const bobKey = join(projectRoot, ".lab", "userkeys", "bob");
const asBob = (vmHost: string, command: string, strict: boolean): Run => inGuest({ vmHost, ip: "10.77.8.11", knownHosts: join(guestDir, "known_hosts") }, "bob", bobKey, command, { strict });
const bobProof = `bob's file, written before the refresh ${Date.now()}`;

afterAll(() => {
  console.log(`\nrefresh rehearsal, step times:\n${times.map(([s, t]) => `  ${t.toFixed(1).padStart(7)} s  ${s}`).join("\n")}`);
});

describe("the yearly refresh, rehearsed: lab4 replaces lab3", () => {
  it("the validator refuses to drain lab3 while only 2 mons would serve", async () => {
    const file = changedLabStack("refresh-refused-drain", (doc) => {
      const hosts = (doc.getIn(["config", "ie:hosts"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
      doc.setIn(["config", "ie:hosts"], doc.createNode(hosts.map((h) => (h.name === "lab3" ? { ...h, drain: true } : h))));
    });
    const r = await timed("validator refuses a drain leaving 2 mons", () =>
      spawnSync(join(projectRoot, "node_modules", ".bin", "tsx"), ["scripts/validate.ts", file], { cwd: projectRoot, encoding: "utf8" }),
    );
    console.log(r.stdout + r.stderr);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/lab3.*add the new mon first/);
  });

  it("lab4 boots, and removing lab3 from the stack without a drain fails naming what it holds, changing nothing", async () => {
    const up = await timed("lab up with lab4", () => lab("up", "--config-file", step1()));
    expect(up.code, up.out).toBe(0);
    const before = { tree: ceph("osd tree"), monmap: monmap(), sinfo: sinfo(), conf: must(onHost("lab1", "sha256sum /etc/slurm/slurm.conf /etc/ceph/ceph.conf"), "conf sums") };
    const undrained = stackWithLab4("refresh-refused-removal", (hosts) => hosts.filter((h) => h.name !== "lab3"), ["lab2", "lab4"]);
    const refused = await timed("apply refuses an undrained removal", () => lab("apply", "--config-file", undrained));
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/lab3 still holds osd\.\d+/);
    expect(refused.out).toMatch(/nothing was changed/);
    expect(ceph("osd tree")).toBe(before.tree);
    expect(monmap()).toEqual(before.monmap);
    expect(sinfo()).toBe(before.sinfo);
    expect(must(onHost("lab1", "sha256sum /etc/slurm/slurm.conf /etc/ceph/ceph.conf"), "conf sums")).toBe(before.conf);
    expect(osdsOf("lab3").every((o) => (o.reweight ?? 0) > 0)).toBe(true);
  });

  it("writes data with recorded checksums and starts a long job on lab2 before the refresh", async () => {
    await timed("data and job in place", () => {
      must(onHost("lab2", `head -c ${DATA_MIB}M /dev/urandom > /home/alice/refresh-data.bin && chown alice:alice /home/alice/refresh-data.bin && rm -f /home/alice/refresh-stop`), "CephFS data");
      must(onHost("lab1", `rbd rm vms/refresh-data >/dev/null 2>&1 || true; head -c ${DATA_MIB}M /dev/urandom > /tmp/refresh-data.bin && rbd import --no-progress /tmp/refresh-data.bin vms/refresh-data && rm /tmp/refresh-data.bin`), "RBD data");
      Object.assign(sums, checksums());
      jobId = must(
        asUser("lab1", "alice", "sbatch --parsable -w lab2 -p gpu --chdir=/home/alice -o /home/alice/refresh-job.log --wrap 'echo started on $(hostname); while [ ! -e /home/alice/refresh-stop ]; do sleep 2; done; echo ran through'"),
        "sbatch",
      ).trim();
    });
    console.log(`checksums before: ${JSON.stringify(sums)}; job ${jobId}`);
    await waitFor("the job running", () => (/RUNNING/.test(must(onHost("lab1", `squeue -h -j ${jobId} -o %T`), "squeue")) ? true : undefined), 120_000, 2000);
    bobImageId = JSON.parse(must(onHost("lab1", "rbd info vms/rental-bob-vm --format json"), "rbd info")).id as string;
    // bob writes a file in his VM, to read it back after the VM moved.
    await waitFor("bob's login to bob-vm on lab1", () => (asBob("lab1", "true", false).code === 0 ? true : undefined), 600_000, 5000);
    must(asBob("lab1", `echo ${JSON.stringify(bobProof)} > ~/refresh-proof && sync`, true), "bob's file in bob-vm");
  });

  it("one edit, one apply: lab4 joins with lab3's roles, lab3 drains, bob-vm moves to lab4", async () => {
    await timed("apply: lab4 joins, lab3 drains, bob-vm moves", () => apply("--config-file", step1()));
    expect(stdoutOf("lab4-ceph-mon")).toMatch(/added mon\.lab4 to the running cluster's monmap/);
    expect(stdoutOf("lab1-ceph-drain-lab3")).toMatch(/drained: lab3's OSDs .* are out, every PG .* is active\+clean and safe-to-destroy agrees/);
    expect(stdoutOf("lab3-ceph-stop-daemons")).toMatch(/stopped ceph-mon@lab3/);
    expect(stdoutOf("lab1-ceph-mon-leave-lab3")).toMatch(/mon\.lab3 left the monmap/);
    expect(stdoutOf("lab1-slurm-drain-lab3")).toMatch(/lab3 set DRAIN .*ie-infra stack lab: drain: true/);
    expect(quorum()).toEqual(["lab1", "lab2", "lab4"]);
    expect(monmap()).toEqual(["lab1", "lab2", "lab4"]);
    expect(osdsOf("lab3").length).toBeGreaterThan(0);
    expect(osdsOf("lab3").every((o) => (o.reweight ?? 1) === 0)).toBe(true);
    expect(osdsOf("lab4").length).toBe(2);
    expect(sinfo()).toMatch(/^lab3 drained$/m);
    expect(sinfo()).toMatch(/^lab4 (idle|mixed|allocated)$/m);
    expect(must(onHost("lab4", "virsh domstate rental-bob-vm"), "domstate").trim()).toBe("running");
    expect(onHost("lab1", "virsh dominfo rental-bob-vm").code).not.toBe(0);
    expect(JSON.parse(must(onHost("lab1", "rbd info vms/rental-bob-vm --format json"), "rbd info")).id).toBe(bobImageId);
    const marker = await waitFor(
      "bob-vm's guest marker on lab4",
      () => /IE-LAB-GUEST-UP bob-vm root=\/dev\/sda1 up=\S+/.exec(onHost("lab4", "cat /var/log/libvirt/qemu/rental-bob-vm-serial.log 2>/dev/null || true").stdout)?.[0],
      600_000,
      3000,
    );
    console.log(`bob-vm on lab4, same RBD image ${bobImageId}: ${marker}`);
    // The guest sees the same disk and address, and presents the same host key (strict known_hosts).
    const seen = await waitFor("bob's login to bob-vm on lab4", () => {
      const r = asBob("lab4", "hostname; cat ~/refresh-proof; ip -4 -o addr show scope global | awk '{print $4}'", true);
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, 300_000, 5000);
    console.log(`bob in bob-vm through lab4:\n${seen}`);
    expect(seen.split("\n")).toEqual(["bob-vm", bobProof, "10.77.8.11/24"]);
  });

  it("lab3 leaves the stack: purged from the maps, gone from sinfo", async () => {
    await timed("apply: lab3 leaves", () => apply("--config-file", step2()));
    expect(stdoutOf("lab1-ceph-departures")).toMatch(/purged osd\.\d+ of lab3[\s\S]*lab3 left the cluster's maps/);
    expect(stdoutOf("lab1-slurm-departures")).toMatch(/leaving: lab3/);
    expect(osdTree().nodes.filter((n) => n.name === "lab3")).toEqual([]);
    expect(osdsOf("lab4").length).toBe(2);
    expect(sinfo()).not.toMatch(/^lab3 /m);
    expect(sinfo()).toMatch(/^lab4 /m);
    const down = await timed("lab down lab3", () => lab("down", "lab3"));
    expect(down.code, down.out).toBe(0);
  });

  it("the job ran through, the data reads back the same, and the cluster is HEALTH_OK with lab4's mon", async () => {
    must(onHost("lab2", "touch /home/alice/refresh-stop"), "stop flag");
    await timed("the job finishes", () =>
      waitFor("the job to leave the queue", () => (must(onHost("lab1", `squeue -h -j ${jobId} -o %T 2>/dev/null || true`), "squeue").trim() === "" ? true : undefined), 120_000, 2000),
    );
    const log = must(onHost("lab2", "cat /home/alice/refresh-job.log"), "job log");
    console.log(`job ${jobId}:\n${log}`);
    expect(log).toMatch(/started on lab2[\s\S]*ran through/);
    expect(must(onHost("lab1", `scontrol show job ${jobId} 2>/dev/null | grep -o 'JobState=[A-Z]*' || echo JobState=gone`), "job state")).toMatch(/JobState=(COMPLETED|gone)/);
    const after = checksums();
    console.log(`checksums before: ${JSON.stringify(sums)}\nchecksums after:  ${JSON.stringify(after)}`);
    expect(after).toEqual(sums);
    const health = await waitFor("HEALTH_OK", () => (ceph("health").startsWith("HEALTH_OK") ? true : undefined), 300_000, 5000);
    expect(health).toBe(true);
    expect(quorum()).toEqual(["lab1", "lab2", "lab4"]);
    console.log(`ceph -s:\n${ceph("-s")}`);
  });

  it("a second apply changes nothing", async () => {
    const counts = summaryCounts(await timed("second apply", () => apply("--config-file", step2())));
    expect(counts).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  });
});
