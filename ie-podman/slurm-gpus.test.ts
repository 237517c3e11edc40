/** The allocation of `run --gpu` on a host whose GPUs Slurm owns, against a fake Slurm (no real command runs). */
import { describe, expect, it } from "vitest";
import type { Caller } from "./caller";
import { ExhaustedError } from "./leases";
import { SLURM_ENV, type SlurmCall, type SlurmResult, allocateGpus, cancelJob, containerResources, jobStates } from "./slurm-gpus";

const alice: Caller = { uid: 2001, gid: 2001, user: "alice", home: "/home/alice" };
const slurm = { node: "lab2", partition: "gpu", gresType: "tesla", maxTimeMinutes: 1440 };
const wish = { gpus: 1, minutes: 60, waitSeconds: 1, cpus: 2, memoryMiB: 4096 };

const showJob = (id: string, uid: number, gres: string, state = "RUNNING") =>
  [
    `JobId=${id} JobName=ie-podman`,
    `   UserId=u(${uid}) GroupId=u(${uid}) MCS_label=N/A`,
    `   JobState=${state} Reason=None Dependency=(null)`,
    `     Nodes=lab2 CPU_IDs=0-1 Mem=4096 GRES=${gres}`,
    "",
  ].join("\n");

/** A fake Slurm: answers by program, records every call. */
function fake(answers: Partial<Record<SlurmCall["program"], SlurmResult>>) {
  const calls: SlurmCall[] = [];
  const runner = (call: SlurmCall): SlurmResult => {
    calls.push(call);
    return answers[call.program] ?? { status: 0, stdout: "", stderr: "" };
  };
  const who = (call: SlurmCall) => (call.as === "root" ? "root" : call.as.user);
  return { runner, calls, log: () => calls.map((c) => `${who(c)}: ${c.program} ${c.args.join(" ")}`) };
}

const granted = (id: string) => ({ status: 0, stdout: "", stderr: `salloc: Granted job allocation ${id}\nsalloc: Nodes lab2 are ready for job\n` });

describe("allocating GPUs in Slurm", () => {
  it("runs salloc as the caller, confirms the job as root, and returns its GPU indices", () => {
    const slurmFake = fake({ salloc: granted("123"), scontrol: { status: 0, stdout: showJob("123", 2001, "gpu:tesla:1(IDX:1)"), stderr: "" } });
    expect(allocateGpus(slurmFake.runner, slurm, alice, wish, 2)).toEqual({ job: "123", gpus: [1] });
    expect(slurmFake.log()).toEqual([
      "alice: salloc --no-shell --immediate=1 --job-name=ie-podman --nodes=1 --ntasks=1 --nodelist=lab2 --partition=gpu --time=60 --gres=gpu:tesla:1 --cpus-per-task=2 --mem=4096M",
      "root: scontrol --details show job 123",
    ]);
    expect(slurmFake.calls[0].timeoutSeconds).toBe(61);
  });

  it("says at once that no GPU is free, naming the jobs holding them that the caller may see", () => {
    const slurmFake = fake({
      salloc: { status: 1, stdout: "", stderr: "salloc: error: Unable to allocate resources: Requested nodes are busy\n" },
      squeue: { status: 0, stdout: "200|bob|cpu=1,mem=1G,node=1,gres/gpu=1|\n201|carol|cpu=1,mem=1G,node=1|\n", stderr: "" },
    });
    const e = (() => {
      try {
        allocateGpus(slurmFake.runner, slurm, alice, wish, 2);
      } catch (error) {
        return error as Error;
      }
      throw new Error("allocated");
    })();
    expect(e).toBeInstanceOf(ExhaustedError);
    expect(e.message).toBe("Slurm has no GPU free on lab2 for you now (Slurm jobs holding GPUs here: 200 (bob); your own Slurm limits count too): try again later, or wait for one with --gpu-wait[=DURATION]");
    expect(slurmFake.log()[1]).toBe("alice: squeue --noheader --states=RUNNING --nodelist=lab2 --Format=JobID:20|,UserName:40|,tres-alloc:400|,tres-per-job:200|,tres-per-node:200|,tres-per-task:200|");
  });

  it("cancels, as the caller, a job salloc queued and gave up", () => {
    const slurmFake = fake({ salloc: { status: 1, stdout: "", stderr: "salloc: Pending job allocation 125\nsalloc: error: Unable to allocate resources: Requested nodes are busy\n" }, squeue: { status: 1, stdout: "", stderr: "x" } });
    expect(() => allocateGpus(slurmFake.runner, slurm, alice, { ...wish, waitSeconds: 600 }, 2)).toThrow(/within 600 s \(no job holding them is visible to you/);
    expect(slurmFake.log()).toContain("alice: scancel -- 125");
  });

  it("reports Slurm's own refusal", () => {
    const slurmFake = fake({ salloc: { status: 1, stdout: "", stderr: "salloc: error: Job submit/allocate failed: Invalid account or account/partition combination specified\n" } });
    expect(() => allocateGpus(slurmFake.runner, slurm, alice, wish, 2)).toThrow("Slurm gave no allocation: Job submit/allocate failed: Invalid account or account/partition combination specified");
  });

  it("does not believe a job id that is not the caller's (salloc's output is the caller's process's), and cancels it only as the caller", () => {
    const slurmFake = fake({ salloc: granted("999"), scontrol: { status: 0, stdout: showJob("999", 2002, "gpu:tesla:1(IDX:0)"), stderr: "" } });
    expect(() => allocateGpus(slurmFake.runner, slurm, alice, wish, 2)).toThrow("Slurm job 999 is uid 2002's, not yours");
    expect(slurmFake.log().at(-1)).toBe("alice: scancel -- 999");
  });

  it.each([
    ["an index beyond the host's GPUs", showJob("123", 2001, "gpu:tesla:1(IDX:2)"), /GPU 2, which this host's configuration does not have/],
    ["a job that is not running", showJob("123", 2001, "gpu:tesla:1(IDX:0)", "PENDING"), /is PENDING, not running/],
    ["garbage", "slurm_load_jobs error: Invalid job id specified\n", /not ie-podman's job 123/],
  ])("refuses %s and cancels the job", (_what, stdout, message) => {
    const slurmFake = fake({ salloc: granted("123"), scontrol: { status: 0, stdout, stderr: "" } });
    expect(() => allocateGpus(slurmFake.runner, slurm, alice, wish, 2)).toThrow(message);
    expect(slurmFake.log().at(-1)).toMatch(/scancel -- 123$/);
  });

  it("cancels, as root, a confirmed job with the wrong number of GPUs", () => {
    const slurmFake = fake({ salloc: granted("123"), scontrol: { status: 0, stdout: showJob("123", 2001, "gpu:tesla:2(IDX:0-1)"), stderr: "" } });
    expect(() => allocateGpus(slurmFake.runner, slurm, alice, wish, 2)).toThrow(/holds 2 GPUs, 1 were asked for/);
    expect(slurmFake.log().at(-1)).toBe("root: scancel -- 123");
  });
});

describe("ending allocations and reading their states", () => {
  it("counts a job already over as ended, and says why a scancel failed", () => {
    expect(cancelJob(fake({}).runner, "123", "root")).toBeUndefined();
    expect(cancelJob(fake({ scancel: { status: 1, stdout: "", stderr: "scancel: error: Kill job error on job id 123: Job/step already completing or completed\n" } }).runner, "123", "root")).toBeUndefined();
    expect(cancelJob(fake({ scancel: { status: 1, stdout: "", stderr: "scancel: error: Unable to contact slurm controller\n" } }).runner, "123", "root")).toMatch(/scancel of Slurm job 123 failed \(exit 1\)/);
    expect(() => cancelJob(fake({}).runner, "123 --user=bob", "root")).toThrow(/not a Slurm job id/);
  });

  it("reads the states of ie-podman's jobs as root, and fails rather than guess when Slurm does not answer", () => {
    const ok = fake({ squeue: { status: 0, stdout: "123|RUNNING|None\n", stderr: "" } });
    expect(jobStates(ok.runner).get("123")?.state).toBe("RUNNING");
    expect(ok.log()).toEqual(["root: squeue --noheader --all --states=all --name=ie-podman --format=%i|%T|%r"]);
    expect(() => jobStates(fake({ squeue: { status: 1, stdout: "", stderr: "slurm_load_jobs error: Unable to contact slurm controller" } }).runner)).toThrow(/squeue failed/);
  });

  it("asks Slurm for the container's CPUs (rounded up) and memory", () => {
    expect(containerResources(["--memory=4294967296", "--cpus=1.5", "--pids-limit=1024", "--memory-swap=4294967296"])).toEqual({ cpus: 2, memoryMiB: 4096 });
    expect(() => containerResources(["--pids-limit=1"])).toThrow(/CPUs and memory/);
  });

  it("gives Slurm's commands an environment of their own, without SLURM_* or SALLOC_*", () => {
    expect(Object.keys(SLURM_ENV).sort()).toEqual(["LANG", "LC_ALL", "PATH"]);
  });
});
