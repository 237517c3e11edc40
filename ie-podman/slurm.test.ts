import { describe, expect, it } from "vitest";
import {
  endedReason,
  holdersArgs,
  jobStatesArgs,
  parseGpuHolders,
  parseGpuWait,
  parseIndexList,
  parseJobAllocation,
  parseJobStates,
  parseSalloc,
  parseTime,
  sallocArgs,
  scancelArgs,
  showJobArgs,
} from "./slurm";

/** `scontrol -d show job` of a granted ie-podman allocation, as Slurm 22.05-24.05 print it. */
const showJob = (opts: { id?: string; name?: string; uid?: number; state?: string; node?: string; gres?: string; extra?: string } = {}) =>
  [
    `JobId=${opts.id ?? "123"} JobName=${opts.name ?? "ie-podman"}`,
    `   UserId=alice(${opts.uid ?? 2001}) GroupId=alice(2001) MCS_label=N/A`,
    "   Priority=4294901757 Nice=0 Account=(null) QOS=normal",
    `   JobState=${opts.state ?? "RUNNING"} Reason=None Dependency=(null)`,
    "   Requeue=1 Restarts=0 BatchFlag=0 Reboot=0 ExitCode=0:0",
    "   DerivedExitCode=0:0",
    "   RunTime=00:00:02 TimeLimit=01:00:00 TimeMin=N/A",
    "   Partition=gpu AllocNode:Sid=lab2:4242",
    `   NodeList=${opts.node ?? "lab2"}`,
    "   NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
    "   TRES=cpu=1,mem=1G,node=1,billing=1,gres/gpu=1",
    "   JOB_GRES=gpu:tesla:1",
    `     Nodes=${opts.node ?? "lab2"} CPU_IDs=0 Mem=1024 GRES=${opts.gres ?? "gpu:tesla:1(IDX:1)"}`,
    "   MinCPUsNode=1 MinMemoryNode=1G MinTmpDiskNode=0",
    ...(opts.extra !== undefined ? [opts.extra] : []),
    "   Command=(null)",
    "   WorkDir=/",
    "   TresPerNode=gres:gpu:tesla:1",
    "",
  ].join("\n");

describe("salloc's arguments", () => {
  const request = { node: "lab2", partition: "gpu", gresType: "tesla", gpus: 2, minutes: 90, waitSeconds: 1, cpus: 2, memoryMiB: 4096 };

  it("asks for this node alone, the GPUs, the time, the container's CPUs and memory, without a shell", () => {
    expect(sallocArgs(request)).toEqual([
      "--no-shell",
      "--immediate=1",
      "--job-name=ie-podman",
      "--nodes=1",
      "--ntasks=1",
      "--nodelist=lab2",
      "--partition=gpu",
      "--time=90",
      "--gres=gpu:tesla:2",
      "--cpus-per-task=2",
      "--mem=4096M",
    ]);
  });

  it.each([
    ["a node that is an option", { node: "--uid=0" }],
    ["a partition with a comma", { partition: "gpu,debug" }],
    ["a GRES type with a colon", { gresType: "tesla:2" }],
    ["no GPU", { gpus: 0 }],
    ["a fraction of a minute", { minutes: 1.5 }],
    ["a wait of an hour and more", { waitSeconds: 3601 }],
  ])("refuses %s", (_what, change) => {
    expect(() => sallocArgs({ ...request, ...change })).toThrow();
  });

  it("hands job ids to scontrol and scancel only when they are plain job ids", () => {
    expect(showJobArgs("123")).toEqual(["--details", "show", "job", "123"]);
    expect(scancelArgs("123")).toEqual(["--", "123"]);
    for (const bad of ["", "0", "-1", "123_4", "12 3", "--user=bob", "1".repeat(11)]) {
      expect(() => scancelArgs(bad)).toThrow(/not a Slurm job id/);
    }
    expect(jobStatesArgs()).toContain("--name=ie-podman");
    expect(holdersArgs("lab2")).toContain("--nodelist=lab2");
  });
});

describe("salloc's stderr", () => {
  it("reads a granted allocation", () => {
    const err = "salloc: Granted job allocation 123\nsalloc: Waiting for resource configuration\nsalloc: Nodes lab2 are ready for job\n";
    expect(parseSalloc(0, err)).toEqual({ kind: "granted", job: "123" });
    expect(parseSalloc(0, "salloc: Pending job allocation 124\nsalloc: job 124 queued and waiting for resources\nsalloc: job 124 has been allocated resources\nsalloc: Granted job allocation 124\n")).toEqual({ kind: "granted", job: "124" });
  });

  it("reads 'no GPU free' (--immediate ran out), with the job salloc had queued", () => {
    expect(parseSalloc(1, "salloc: error: Unable to allocate resources: Requested nodes are busy\n")).toEqual({ kind: "busy" });
    const queued = "salloc: Pending job allocation 125\nsalloc: job 125 queued and waiting for resources\nsalloc: error: Unable to allocate resources: Requested nodes are busy\n";
    expect(parseSalloc(1, queued)).toEqual({ kind: "busy", job: "125" });
    // --immediate=SECONDS ran out while the job waited (ETIMEDOUT), or the job was not first in line.
    const waited = "salloc: Pending job allocation 126\nsalloc: job 126 queued and waiting for resources\nsalloc: error: Unable to allocate resources: Connection timed out\n";
    expect(parseSalloc(1, waited)).toEqual({ kind: "busy", job: "126" });
    expect(parseSalloc(1, "salloc: error: Unable to allocate resources: Immediate execution impossible, insufficient priority\n")).toEqual({ kind: "busy" });
  });

  it("reads other failures with salloc's own error", () => {
    expect(parseSalloc(1, "salloc: error: Job submit/allocate failed: Requested node configuration is not available\n")).toEqual({
      kind: "failed",
      message: "Job submit/allocate failed: Requested node configuration is not available",
    });
    expect(parseSalloc(1, "salloc: error: Job submit/allocate failed: Invalid account or account/partition combination specified\n").kind).toBe("failed");
    expect(parseSalloc(137, "")).toEqual({ kind: "failed", message: "salloc exited 137 without a message" });
  });

  it("refuses output it cannot trust", () => {
    expect(() => parseSalloc(0, "")).toThrow(/without granting/);
    expect(() => parseSalloc(0, "salloc: Pending job allocation 126\n")).toThrow(/without granting/);
    expect(() => parseSalloc(0, "salloc: Granted job allocation 126\nsalloc: Granted job allocation 127\n")).toThrow(/more than one job/);
    expect(() => parseSalloc(0, "salloc: Granted job allocation 126_1\n")).toThrow(/not a Slurm job id/);
    expect(() => parseSalloc(0, "salloc: Granted job allocation ../../x\n")).toThrow(/not a Slurm job id/);
    expect(parseSalloc(1, "salloc: error: \u001b[2Jgarbage\n")).toEqual({ kind: "failed", message: "?[2Jgarbage" });
  });
});

describe("the GPU indices of an allocation (scontrol -d show job)", () => {
  it("reads one GPU, a range and a list of ranges", () => {
    expect(parseJobAllocation(showJob(), "123", "lab2", "tesla")).toEqual({ job: "123", uid: 2001, state: "RUNNING", gpus: [1] });
    expect(parseJobAllocation(showJob({ gres: "gpu:tesla:2(IDX:0-1)" }), "123", "lab2", "tesla").gpus).toEqual([0, 1]);
    expect(parseJobAllocation(showJob({ gres: "gpu:tesla:3(IDX:0,2-3)" }), "123", "lab2", "tesla").gpus).toEqual([0, 2, 3]);
    expect(parseJobAllocation(showJob({ state: "TIMEOUT" }), "123", "lab2", "tesla").state).toBe("TIMEOUT");
  });

  it.each([
    ["another job", showJob({ id: "124" }), /not ie-podman's job 123/],
    ["a job with another name", showJob({ name: "train" }), /not ie-podman's job/],
    ["a name that continues the first line", showJob({ name: "ie-podman x" }), /not ie-podman's job/],
    ["another node", showJob({ node: "lab3" }), /on lab3, not on lab2/],
    ["another GPU type", showJob({ gres: "gpu:a100:1(IDX:1)" }), /type a100/],
    ["a count that does not match the indices", showJob({ gres: "gpu:tesla:2(IDX:1)" }), /holds 2 GPUs but lists 1/],
    ["two kinds of GRES", showJob({ gres: "gpu:tesla:1(IDX:1),shard:tesla:2(0/2,0/2)" }), /not one kind of GPU/],
    ["no indices", showJob({ gres: "gpu:tesla:1" }), /not one kind of GPU/],
    ["a backwards range", showJob({ gres: "gpu:tesla:2(IDX:3-2)" }), /backwards/],
    ["a forged second Nodes line (a comment of the user's)", showJob({ extra: "     Nodes=lab2 CPU_IDs=0 Mem=0 GRES=gpu:tesla:1(IDX:0)" }), /2 Nodes=... GRES lines/],
    ["a forged second JobState", showJob({ extra: "   JobState=RUNNING Reason=None" }), /2 JobState lines/],
    ["garbage", "slurm_load_jobs error: Invalid job id specified\n", /not ie-podman's job/],
    ["nothing", "", /not ie-podman's job/],
  ])("refuses %s", (_what, text, error) => {
    expect(() => parseJobAllocation(text, "123", "lab2", "tesla")).toThrow(error);
  });

  it("reads index lists strictly", () => {
    expect(parseIndexList("7")).toEqual([7]);
    for (const bad of ["", "1,", "1-", "a", "1;2", "1,1", "0-1,1", "1 2"]) expect(() => parseIndexList(bad)).toThrow();
  });
});

describe("the states of ie-podman's jobs (squeue)", () => {
  it("reads ID|STATE|REASON lines", () => {
    const states = parseJobStates("123|RUNNING|None\n124|TIMEOUT|TimeLimit\n  125|CANCELLED|None\n\n");
    expect([...states.keys()]).toEqual(["123", "124", "125"]);
    expect(states.get("124")).toEqual({ state: "TIMEOUT", reason: "TimeLimit" });
    expect(parseJobStates("").size).toBe(0);
  });

  it("refuses what is not a state line (so sync stops no container on garbage)", () => {
    for (const bad of ["slurm_load_jobs error: Unable to contact slurm controller", "123_1|RUNNING|None", "123|running|None", "123|RUNNING|a|b"]) {
      expect(() => parseJobStates(bad)).toThrow();
    }
  });

  it("says why an allocation ended", () => {
    expect(endedReason("TIMEOUT")).toBe("its time limit was reached");
    expect(endedReason(undefined)).toBe("Slurm no longer knows the job");
    expect(endedReason("SPECIAL_EXIT")).toBe("Slurm says SPECIAL_EXIT");
  });

  it("names the running jobs that hold GPUs, skipping the rest", () => {
    const out = "200|bob|cpu=1,mem=1G,node=1,billing=1,gres/gpu=1|\n201|carol|cpu=4,mem=8G,node=1,billing=4|\n202|dave|cpu=1,gres/gpu:tesla=2,gres/gpu=2|\ngarbage\n";
    // As squeue pads each field to its -O width.
    expect(parseGpuHolders("200                 |bob                                     |cpu=1,mem=1G,node=1,gres/gpu=1     |\n")).toEqual([{ job: "200", user: "bob" }]);
    expect(parseGpuHolders(out)).toEqual([
      { job: "200", user: "bob" },
      { job: "202", user: "dave" },
    ]);
  });

  it("names a job by the GPUs it asked for where tres-alloc does not track them (no AccountingStorageTRES=gres/gpu)", () => {
    // As Slurm 24.11 prints a `--gpus=tesla:2` job, a `--gres=gpu:tesla:1` one, and one without GPUs.
    const out = [
      "19                  |bob                                     |cpu=1,mem=256M,node=1,billing=1   |gres/gpu:tesla:2   |N/A                |N/A                |",
      "6                   |alice                                   |cpu=1,mem=1G,node=1,billing=1     |N/A                |gres/gpu:tesla:1   |N/A                |",
      "7                   |carol                                   |cpu=8,mem=3G,node=1,billing=8     |N/A                |N/A                |cpu=1              |",
      "",
    ].join("\n");
    expect(parseGpuHolders(out)).toEqual([
      { job: "19", user: "bob" },
      { job: "6", user: "alice" },
    ]);
  });
});

describe("--time and --gpu-wait", () => {
  it.each([
    ["90", 90],
    ["1:30", 2],
    ["2:00:00", 120],
    ["1-0", 1440],
    ["1-2:30", 1590],
    ["0-0:0:1", 1],
  ])("reads %s as Slurm does: %i minutes", (text, minutes) => {
    expect(parseTime(text, 1440 * 2)).toBe(minutes);
  });

  it.each(["", "0", "1h", "-5", "01:00:00:00", "1-", "x", "10 ", "1e3", "--uid=0", "1-2:3:4:5"])("refuses '%s'", (text) => {
    expect(() => parseTime(text, 1440)).toThrow(/--time/);
  });

  it("refuses more than the host allows", () => {
    expect(() => parseTime("1-0:01", 1440)).toThrow(/1441 minutes, above this host's limit of 1440/);
  });

  it("waits 10 minutes when --gpu-wait has no value, at most an hour", () => {
    expect(parseGpuWait(undefined)).toBe(600);
    expect(parseGpuWait("90")).toBe(90);
    expect(parseGpuWait("5m")).toBe(300);
    expect(parseGpuWait("1h")).toBe(3600);
    for (const bad of ["0", "2h", "1d", "5 m", "", "-1"]) expect(() => parseGpuWait(bad)).toThrow(/--gpu-wait/);
  });
});
