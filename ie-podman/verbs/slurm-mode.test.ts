/**
 * The verbs on a host whose GPUs Slurm owns, end to end inside ie-podman: a fake Podman (an in-memory table
 * of containers) and a fake Slurm (answers per program, every call recorded), the real ledger under its lock
 * in a temporary directory. No real podman or Slurm command runs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Caller } from "../caller";
import type { HostConfig } from "../config";
import type { VerbContext } from "../context";
import { ExhaustedError } from "../leases";
import type { PodmanContainer } from "../ownership";
import { PolicyError } from "../policy-error";
import type { SlurmCall, SlurmResult } from "../slurm-gpus";
import { readLedger } from "../store";
// vi.mock below is hoisted above these: the verbs see the fake Podman.
import { rm, start, stop } from "./manage";
import { ps } from "./ps";
import { run } from "./run";
import { sync } from "./sync";

interface FakeContainer extends PodmanContainer {
  State: string;
}

const podmanState = vi.hoisted(() => ({ containers: new Map<string, FakeContainer>(), creates: [] as string[][], failCreate: false, next: 1, lists: 0 }));

vi.mock("../podman", () => {
  const capture = (args: readonly string[]) => {
    const [verb] = args;
    const ids = args.slice(args.indexOf("--") + 1);
    if (verb === "create") {
      if (podmanState.failCreate) throw new Error("podman create failed: no such image");
      podmanState.creates.push([...args]);
      const id = String(podmanState.next++).padStart(64, "c");
      const owner = args.find((a) => a.startsWith("--label=ie-podman.owner="))?.split("=")[2] ?? "";
      podmanState.containers.set(id, { Id: id, Names: [`n${id.slice(-2)}`], Image: "base", State: "created", Labels: { "ie-podman.owner": owner } });
      return { stdout: `${id}\n`, stderr: "" };
    }
    for (const id of ids) {
      const c = podmanState.containers.get(id);
      if (c === undefined) continue;
      if (verb === "start") c.State = "running";
      if (verb === "stop") c.State = "exited";
      if (verb === "rm") podmanState.containers.delete(id);
    }
    return { stdout: "", stderr: "" };
  };
  return {
    podman: {
      capture,
      /** An attached start: the container runs and exits. */
      attached: (args: readonly string[]) => {
        const c = podmanState.containers.get(args[args.length - 1]);
        if (c !== undefined) c.State = "exited";
        return 0;
      },
      containers: () => {
        podmanState.lists++;
        return [...podmanState.containers.values()].map((c) => ({ ...c }));
      },
    },
  };
});


const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-slurm-mode-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const GiB = 1024 ** 3;
const alice: Caller = { uid: 2001, gid: 2001, user: "alice", home: dir };
const slurmBlock = { node: "lab2", partition: "gpu", gresType: "tesla", maxTimeMinutes: 1440 };
const NOW = 1_800_000_000;

function config(name: string): HostConfig {
  return {
    network: "ie-podman",
    pool: "10.89.60.0/22",
    gpus: 2,
    devicePrefix: "/dev/nvidia",
    sharedGpuDevices: [],
    reapAfterSeconds: 7 * 86400,
    buildUserNamespace: false,
    ledger: path.join(dir, name, "ledger.json"),
    auditLog: path.join(dir, name, "audit.log"),
    limits: { memory: { default: 4 * GiB, max: 16 * GiB }, cpus: { default: 2, max: 8 }, pids: { default: 1024, max: 4096 }, shm: { default: GiB, max: 8 * GiB } },
    caps: { maxContainers: 10, maxAddresses: 4, maxGpus: 2 },
    userCaps: {},
    slurm: slurmBlock,
  };
}

/** A fake Slurm: per program a list of answers (the last repeats); every call is logged as `who: program args`. */
function fakeSlurm(answers: Partial<Record<SlurmCall["program"], SlurmResult[]>>) {
  const log: string[] = [];
  const runner = (call: SlurmCall): SlurmResult => {
    log.push(`${call.as === "root" ? "root" : call.as.user}: ${call.program} ${call.args.join(" ")}`);
    const list = answers[call.program] ?? [];
    return (list.length > 1 ? list.shift() : list[0]) ?? { status: 0, stdout: "", stderr: "" };
  };
  return { runner, log };
}

const ok = (stdout = "", stderr = ""): SlurmResult => ({ status: 0, stdout, stderr });
const granted = (id: string) => ok("", `salloc: Granted job allocation ${id}\n`);
const showJob = (id: string, idx: string) =>
  ok([`JobId=${id} JobName=ie-podman`, "   UserId=alice(2001) GroupId=alice(2001) MCS_label=N/A", "   JobState=RUNNING Reason=None Dependency=(null)", `     Nodes=lab2 CPU_IDs=0-1 Mem=4096 GRES=gpu:tesla:1(IDX:${idx})`, ""].join("\n"));
const states = (lines: string) => ok(lines);

let hostCount = 0;
function context(slurm: ReturnType<typeof fakeSlurm>, caller: Caller | undefined = alice, cfg = config(`host${++hostCount}`)): VerbContext {
  return { config: cfg, caller, allowed: () => undefined, now: () => NOW, slurm: slurm.runner };
}

const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
const written = (spy: typeof stderr) => spy.mock.calls.map((c) => String(c[0])).join("");

beforeEach(() => {
  podmanState.containers.clear();
  podmanState.creates.length = 0;
  podmanState.failCreate = false;
  podmanState.lists = 0;
  stderr.mockClear();
  stdout.mockClear();
});

describe("run --gpu where Slurm owns the GPUs", () => {
  it("allocates in the caller's name, gives the container exactly the allocation's GPU and records the job", async () => {
    const slurm = fakeSlurm({ salloc: [granted("123")], scontrol: [showJob("123", "1")] });
    const ctx = context(slurm);
    expect(await run(["-d", "--gpu", "--time=90", "base"], ctx)).toBe(0);
    expect(slurm.log).toEqual([
      "alice: salloc --no-shell --immediate=1 --job-name=ie-podman --nodes=1 --ntasks=1 --nodelist=lab2 --partition=gpu --time=90 --gres=gpu:tesla:1 --cpus-per-task=2 --mem=4096M",
      "root: scontrol --details show job 123",
    ]);
    const create = podmanState.creates[0];
    expect(create.filter((a) => a.startsWith("--device="))).toEqual(["--device=/dev/nvidia1"]);
    expect(create).toContain("--env=NVIDIA_VISIBLE_DEVICES=1");
    const [lease] = readLedger(ctx.config.ledger).leases;
    expect(lease).toMatchObject({ uid: 2001, gpus: [1], job: "123" });
    expect(written(stderr)).toMatch(/GPU 1, Slurm job 123 for 90 min/);
  });

  it("says at once that no GPU is free, and leaves nothing behind", async () => {
    const slurm = fakeSlurm({ salloc: [{ status: 1, stdout: "", stderr: "salloc: error: Unable to allocate resources: Requested nodes are busy\n" }], squeue: [ok("300|bob|cpu=1,gres/gpu=1|\n")] });
    const ctx = context(slurm);
    await expect(run(["--gpu", "base"], ctx)).rejects.toThrow(ExhaustedError);
    await expect(run(["--gpu", "base"], ctx)).rejects.toThrow(/Slurm jobs holding GPUs here: 300 \(bob\)/);
    expect(podmanState.containers.size).toBe(0);
    expect(readLedger(ctx.config.ledger).leases).toEqual([]);
  });

  it("ends the allocation (as root) when the container cannot be made", async () => {
    podmanState.failCreate = true;
    const slurm = fakeSlurm({ salloc: [granted("124")], scontrol: [showJob("124", "0")] });
    const ctx = context(slurm);
    await expect(run(["-d", "--gpu", "base"], ctx)).rejects.toThrow(/no such image/);
    expect(slurm.log.at(-1)).toBe("root: scancel -- 124");
    expect(readLedger(ctx.config.ledger).leases).toEqual([]);
  });

  it("never gives a second container a job another lease holds, nor cancels it", async () => {
    const slurm = fakeSlurm({ salloc: [granted("127")], scontrol: [showJob("127", "0")] });
    const ctx = context(slurm);
    expect(await run(["-d", "--gpu", "base"], ctx)).toBe(0);
    slurm.log.length = 0;
    await expect(run(["-d", "--gpu", "base"], ctx)).rejects.toThrow("Slurm job 127 already holds the GPUs of another container");
    expect(slurm.log.filter((l) => l.includes("scancel"))).toEqual([]);
    expect(readLedger(ctx.config.ledger).leases).toHaveLength(1);
  });

  it("never puts a container on a GPU that a container from ledger mode still uses, and ends the allocation", async () => {
    const slurm = fakeSlurm({ salloc: [granted("128")], scontrol: [showJob("128", "1")] });
    const ctx = context(slurm);
    fs.mkdirSync(path.dirname(ctx.config.ledger), { recursive: true });
    fs.writeFileSync(ctx.config.ledger, JSON.stringify({ version: 1, leases: [{ container: "old", uid: 2002, gpus: [1], since: new Date(NOW * 1000).toISOString() }] }));
    podmanState.containers.set("old", { Id: "old", Names: ["old"], Image: "base", State: "running", Labels: { "ie-podman.owner": "2002" } });
    await expect(run(["-d", "--gpu", "base"], ctx)).rejects.toThrow("GPU 1 is still used by a container from before this host's GPUs came from Slurm");
    expect(slurm.log.at(-1)).toBe("root: scancel -- 128");
  });

  it("asks Slurm for nothing when the caller is at their GPU cap", async () => {
    const slurm = fakeSlurm({ salloc: [granted("125")], scontrol: [showJob("125", "0")] });
    const ctx = context(slurm, alice, { ...config(`host${++hostCount}`), caps: { maxContainers: 10, maxAddresses: 4, maxGpus: 0 } });
    await expect(run(["--gpu", "base"], ctx)).rejects.toThrow(PolicyError);
    expect(slurm.log).toEqual([]);
  });

  it("gives the GPUs back to Slurm as soon as an attached container ends", async () => {
    const slurm = fakeSlurm({ salloc: [granted("126")], scontrol: [showJob("126", "0")], squeue: [states("126|RUNNING|None\n")] });
    const ctx = context(slurm);
    expect(await run(["--gpu", "base"], ctx)).toBe(0);
    expect(slurm.log.slice(-2)).toEqual(["root: squeue --noheader --all --states=all --name=ie-podman --format=%i|%T|%r", "root: scancel -- 126"]);
    expect(readLedger(ctx.config.ledger).leases[0]).toMatchObject({ job: "126", ended: "Slurm job 126 ended: the container stopped" });
  });

  it("keeps the ledger's own GPUs, and asks Slurm nothing, on a host whose GPUs are not Slurm's", async () => {
    const slurm = fakeSlurm({});
    const { slurm: _, ...ledgerMode } = config(`host${++hostCount}`);
    const ctx = context(slurm, alice, ledgerMode);
    expect(await run(["-d", "--gpu", "base"], ctx)).toBe(0);
    expect(readLedger(ctx.config.ledger).leases[0]).toMatchObject({ gpus: [0] });
    expect(readLedger(ctx.config.ledger).leases[0].job).toBeUndefined();
    expect(slurm.log).toEqual([]);
    await expect(run(["-d", "--gpu", "--time=10", "base"], ctx)).rejects.toThrow(/only on hosts whose GPUs come from Slurm/);
  });
});

describe("the ledger a run is decided on", () => {
  const small = () => ({ ...config(`host${++hostCount}`), caps: { maxContainers: 2, maxAddresses: 4, maxGpus: 2 } });

  it("asks Podman for nothing when the run takes no address or GPU and the recorded ledger is within the caps", async () => {
    const ctx = context(fakeSlurm({}), alice, small());
    expect(await run(["-d", "base"], ctx)).toBe(0);
    expect(podmanState.lists).toBe(0);
    expect(readLedger(ctx.config.ledger).leases).toHaveLength(1);
  });

  it("brings the ledger up to date when only leases of vanished containers stand at the cap, and the run goes ahead", async () => {
    const ctx = context(fakeSlurm({}), alice, small());
    await run(["-d", "base"], ctx);
    await run(["-d", "base"], ctx);
    // Removed behind ie-podman's back: the two leases are stale.
    podmanState.containers.clear();
    expect(await run(["-d", "base"], ctx)).toBe(0);
    expect(podmanState.lists).toBe(1);
    expect(readLedger(ctx.config.ledger).leases.map((l) => l.container)).toEqual([...podmanState.containers.keys()]);
  });

  it("still refuses at the cap when the containers are really there", async () => {
    const ctx = context(fakeSlurm({}), alice, small());
    await run(["-d", "base"], ctx);
    await run(["-d", "base"], ctx);
    await expect(run(["-d", "base"], ctx)).rejects.toThrow(/you hold 2 containers and the cap is 2/);
    expect(podmanState.lists).toBe(1);
  });

  it("brings the ledger up to date before handing out an address or a GPU", async () => {
    const { slurm: _, ...ledgerMode } = small();
    const ctx = context(fakeSlurm({}), alice, ledgerMode);
    await run(["-d", "--ip", "base"], ctx);
    await run(["-d", "--gpu", "base"], ctx);
    expect(podmanState.lists).toBe(2);
  });
});

describe("stop, start, rm and sync where Slurm owns the GPUs", () => {
  async function running(slurm: ReturnType<typeof fakeSlurm>, ctx: VerbContext): Promise<string> {
    await run(["-d", "--gpu", "base"], ctx);
    slurm.log.length = 0;
    return readLedger(ctx.config.ledger).leases[0].container;
  }

  it("stop ends the allocation; start then refuses, saying why and what to do", async () => {
    const slurm = fakeSlurm({ salloc: [granted("130")], scontrol: [showJob("130", "0")] });
    const ctx = context(slurm);
    const id = await running(slurm, ctx);
    expect(await stop([id.slice(0, 12)], ctx)).toBe(0);
    expect(slurm.log).toEqual(["root: scancel -- 130"]);
    expect(readLedger(ctx.config.ledger).leases[0].ended).toBe("Slurm job 130 ended: the container was stopped (ie-podman stop)");
    // Nothing left to ask Slurm: sync leaves the stopped container to the reaper without a squeue.
    expect(await sync([], { ...ctx, caller: undefined })).toBe(0);
    expect(slurm.log).toEqual(["root: scancel -- 130"]);
    await expect(start([id.slice(0, 12)], ctx)).rejects.toThrow(/refused: its GPU allocation is over \(Slurm job 130 ended: the container was stopped \(ie-podman stop\)\) and its GPUs may be a Slurm job's now; remove it \(ie-podman rm [0-9a-c]{12}\) and run a new container with --gpu/);
  });

  it("start asks Slurm when the ledger does not know yet that the allocation ended", async () => {
    const slurm = fakeSlurm({ salloc: [granted("131")], scontrol: [showJob("131", "0")], squeue: [states("131|TIMEOUT|TimeLimit\n")] });
    const ctx = context(slurm);
    const id = await running(slurm, ctx);
    podmanState.containers.get(id)!.State = "exited";
    await expect(start([id], ctx)).rejects.toThrow(/Slurm job 131 ended: its time limit was reached/);
  });

  it("rm ends the allocation and drops the lease", async () => {
    const slurm = fakeSlurm({ salloc: [granted("132")], scontrol: [showJob("132", "0")] });
    const ctx = context(slurm);
    const id = await running(slurm, ctx);
    expect(await rm(["-f", id], ctx)).toBe(0);
    expect(slurm.log).toEqual(["root: scancel -- 132"]);
    expect(readLedger(ctx.config.ledger).leases).toEqual([]);
  });

  it("sync stops a container whose allocation ran out, and records why (ps shows it)", async () => {
    const slurm = fakeSlurm({ salloc: [granted("133")], scontrol: [showJob("133", "1")], squeue: [states("133|TIMEOUT|TimeLimit\n")] });
    const ctx = context(slurm);
    const id = await running(slurm, ctx);
    expect(await sync([], { ...ctx, caller: undefined })).toBe(0);
    expect(podmanState.containers.get(id)?.State).toBe("exited");
    expect(readLedger(ctx.config.ledger).leases[0].ended).toBe("Slurm job 133 ended: its time limit was reached");
    expect(fs.readFileSync(ctx.config.auditLog, "utf8")).toMatch(/"verb":"sync".*stopped: Slurm job 133 ended: its time limit was reached/);
    stdout.mockClear();
    await ps(["-a"], ctx);
    expect(written(stdout)).toMatch(/JOB[\s\S]*133 \(ended: its time limit was reached\)/);
  });

  it("sync does nothing when Slurm does not answer", async () => {
    const slurm = fakeSlurm({ salloc: [granted("134")], scontrol: [showJob("134", "0")], squeue: [{ status: 1, stdout: "", stderr: "slurm_load_jobs error: Unable to contact slurm controller" }] });
    const ctx = context(slurm);
    const id = await running(slurm, ctx);
    await expect(sync([], { ...ctx, caller: undefined })).rejects.toThrow(/squeue failed/);
    expect(podmanState.containers.get(id)?.State).toBe("running");
    expect(readLedger(ctx.config.ledger).leases[0].ended).toBeUndefined();
  });

  it("sync is root's", async () => {
    await expect(sync([], context(fakeSlurm({})))).rejects.toThrow(/root's/);
  });
});
