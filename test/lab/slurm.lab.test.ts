/**
 * Slurm with GPUs, proven on the lab as the report's users would use it: an ordinary user submits the
 * report's batch file, the job gets one Tesla GPU and cannot open the other, and only a job's owner can
 * cancel it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { asUser, must, onHost, projectRoot, waitFor } from "./support";

const controller = "lab1";
const computeNodes = ["lab2", "lab3"];
const jobScript = readFileSync(join(projectRoot, "test", "lab", "fixtures", "gpu-job.sh"), "utf8");

describe("Slurm on the lab", () => {
  beforeAll(async () => {
    // slurmd registers with the controller a few seconds after it starts.
    await waitFor(
      "both compute nodes idle in sinfo",
      () => {
        const out = asUser(controller, "alice", "sinfo -h -N -p gpu -o '%N %t'").stdout;
        return computeNodes.every((n) => new RegExp(`^${n} idle`, "m").test(out)) ? out : undefined;
      },
      90_000,
    );
  });

  it("shows the GPU partition idle to an ordinary user", () => {
    const out = must(asUser(controller, "alice", "sinfo -h -p gpu -o '%P %a %t %D'"), "sinfo");
    expect(out).toMatch(/^gpu\*? up idle 2$/m);
  });

  it.each(computeNodes)("declares Gres=gpu:tesla:2 on %s", (node) => {
    const out = must(asUser(controller, "alice", `scontrol show node ${node}`), "scontrol show node");
    expect(out).toMatch(/Gres=gpu:tesla:2(\(|\s|$)/);
    expect(out).toMatch(/CPUTot=8/);
  });

  it("runs the report's batch file with one GPU; the other GPU is refused by the cgroup", async () => {
    must(onHost(controller, `install -d -o alice -g alice ~alice/job && cat > ~alice/job/gpu-job.sh && chown alice: ~alice/job/gpu-job.sh`, jobScript), "copy job");
    // Slurm does not create the directory of --output; the report's users make logs/ on the node first.
    for (const node of computeNodes) must(asUser(node, "alice", "mkdir -p ~/job/logs"), "mkdir logs");
    const submitted = must(asUser(controller, "alice", "cd ~/job && sbatch --parsable gpu-job.sh"), "sbatch");
    const jobId = submitted.trim().split(";")[0];
    expect(jobId).toMatch(/^\d+$/);

    const node = await waitFor(`job ${jobId} to complete`, () => {
      const out = asUser(controller, "alice", `scontrol show job ${jobId}`).stdout;
      const state = /JobState=(\w+)/.exec(out)?.[1];
      if (state && ["FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].includes(state)) {
        throw new Error(`job ${jobId} ended ${state}:\n${out}`);
      }
      return state === "COMPLETED" ? /BatchHost=(\S+)/.exec(out)?.[1] : undefined;
    }, 120_000, 2000);
    expect(computeNodes).toContain(node);

    const log = must(asUser(node, "alice", `cat ~/job/logs/gpu-check-${jobId}.log`), "read job log");
    console.log(`batch job ${jobId} on ${node}:\n${log}`);
    expect(log).toMatch(/^CUDA_VISIBLE_DEVICES=\d$/m);
    const opens = [...log.matchAll(/^open (\/dev\/nvidia\d): (.*)$/gm)].map((m) => ({ dev: m[1], result: m[2] }));
    expect(opens).toHaveLength(2);
    // No driver in the lab: the GPU the job owns fails with ENXIO (the open got past the cgroup),
    // the other one with EPERM from the device cgroup.
    expect(opens.filter((o) => /No such device or address/.test(o.result))).toHaveLength(1);
    expect(opens.filter((o) => /Operation not permitted/.test(o.result))).toHaveLength(1);
    const err = asUser(node, "alice", `cat ~/job/logs/gpu-check-${jobId}.err`);
    expect(err.code).toBe(0);
  });

  it("lists a running job; bob cannot cancel alice's job, alice can", async () => {
    const jobId = must(asUser(controller, "alice", "sbatch --parsable --job-name long --output /dev/null --gpus tesla:1 --wrap 'sleep 300'"), "sbatch").trim();
    await waitFor(`job ${jobId} running`, () => {
      const out = asUser(controller, "alice", `squeue -h -j ${jobId} -o '%i %u %T'`).stdout;
      return /RUNNING/.test(out) ? out : undefined;
    }, 60_000);
    const listed = must(asUser(controller, "bob", "squeue -h -o '%i %u %T'"), "squeue as bob");
    expect(listed).toMatch(new RegExp(`^${jobId} alice RUNNING$`, "m"));

    const refused = asUser(controller, "bob", `scancel ${jobId}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Access\/permission denied|Permission denied|not the owner/i);
    expect(asUser(controller, "alice", `squeue -h -j ${jobId} -o %T`).stdout.trim()).toBe("RUNNING");

    must(asUser(controller, "alice", `scancel ${jobId}`), "scancel as alice");
    await waitFor(`job ${jobId} gone from the running list`, () => {
      const out = asUser(controller, "alice", `squeue -h -j ${jobId} -o %T`).stdout.trim();
      return out === "" || /CANCELLED|COMPLETING/.test(out) ? out || "gone" : undefined;
    }, 60_000);
  });
});
