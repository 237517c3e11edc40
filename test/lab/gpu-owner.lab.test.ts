/**
 * One owner for every GPU: on lab2 (a Slurm GPU node and a container host, 2 fake Tesla GPUs) ie-podman's
 * GPUs come from Slurm allocations in the caller's name, so a container and a batch job never share a GPU.
 * Proven as alice (containers) and bob (batch jobs, submitted from the controller): the two hold disjoint
 * devices, a job that needs both GPUs pends until alice's container is removed, a container that asks for a busy
 * GPU is refused at once naming the job that holds it (or, with --gpu-wait, queues), an allocation that reaches its
 * time limit stops its container with the reason in `ie-podman ps` and the audit log, bob cannot end alice's
 * allocation, and no option of ie-podman reaches Slurm's command line unchecked. The transcript (squeue,
 * ie-podman ps, the devices of the job and of the container) is kept in .lab/transcripts/gpu-owner.txt.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LASTING, asUser, ensureBaseImage, must, onHost, projectRoot, removeContainersOf, waitFor, type Run } from "./support";

const NODE = "lab2";
const CONTROLLER = "lab1";
const transcript: string[] = [];

/** `user` runs `command` on `host`; the command and its output go into the transcript. */
function as(user: "alice" | "bob", command: string, host = NODE): Run {
  const r = asUser(host, user, command);
  transcript.push(`${user}@${host}:~$ ${command}`, ...[r.stdout, r.stderr].filter((t) => t.trim() !== "").map((t) => t.trimEnd()), ...(r.code !== 0 ? [`[exit ${r.code}]`] : []));
  return r;
}

interface PsRow {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly gpus: number[];
  readonly job?: string;
  readonly jobEnded?: string;
}
const psRow = (name: string): PsRow | undefined => (JSON.parse(must(asUser(NODE, "alice", "ie-podman ps -a --json"), "ps")) as PsRow[]).find((r) => r.name === name);

/** The GPU indices Slurm gave a job on lab2, as root reads them (`GRES=gpu:tesla:1(IDX:0)`). */
function slurmGpus(job: string): number[] {
  const out = must(onHost(CONTROLLER, `scontrol --details show job ${job}`), `scontrol show job ${job}`);
  const idx = /GRES=gpu:tesla:\d+\(IDX:([0-9,-]+)\)/.exec(out)?.[1];
  if (idx === undefined) throw new Error(`job ${job} shows no GPU indices:\n${out}`);
  return idx.split(",").flatMap((part) => {
    const [from, to] = part.split("-").map(Number);
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

const jobState = (job: string): string => asUser(CONTROLLER, "bob", `squeue --noheader --states=all --jobs=${job} --format=%T`).stdout.trim();

/** The GPU device nodes a container was given (not nvidiactl and the like), from Podman's own record (root). */
const containerDevices = (name: string): string[] =>
  must(onHost(NODE, `podman inspect --format '{{range .HostConfig.Devices}}{{.PathOnHost}} {{end}}' ${name}`), "inspect devices").trim().split(/\s+/).filter((d) => /^\/dev\/nvidia\d+$/.test(d)).sort();

// bob's batch file: which GPU it got, which device nodes its cgroup lets it open, then it holds them $1 s.
const BOB_JOB = `#!/bin/bash
echo "CUDA_VISIBLE_DEVICES=\${CUDA_VISIBLE_DEVICES:-unset}"
for dev in /dev/nvidia[0-9]*; do
  if msg=$( (exec 3<"$dev") 2>&1 ); then result="opened"; else result="\${msg##*: }"; fi
  echo "open $dev: $result"
done
sleep "\${1:-0}"
`;

/** bob submits his batch file from the controller for `gpus` GPUs on lab2; its log goes to lab2's /tmp. */
function submitBob(gpus: number, holdSeconds: number): string {
  const out = must(
    as("bob", `sbatch --parsable --job-name=bob-gpus${gpus} --nodes=1 --nodelist=${NODE} --gpus=tesla:${gpus} --cpus-per-task=1 --mem=256M --time=5 --chdir=/tmp --output=/tmp/bob-gpus-%j.log ~/gpu-share.sh ${holdSeconds}`, CONTROLLER),
    "sbatch",
  );
  const job = out.trim().split(";")[0];
  expect(job).toMatch(/^\d+$/);
  return job;
}

const openResults = (log: string) => [...log.matchAll(/^open \/dev\/nvidia(\d): (.*)$/gm)].map((m) => ({ gpu: Number(m[1]), result: m[2] }));

/** bob's job log once it holds both open results, put in the transcript. */
async function jobLog(job: string): Promise<string> {
  const log = await waitFor(`bob's job ${job} log`, () => {
    const text = onHost(NODE, `cat /tmp/bob-gpus-${job}.log`).stdout;
    return openResults(text).length === 2 ? text : undefined;
  }, 30_000);
  transcript.push(`# bob's job ${job} on ${NODE}:`, log.trimEnd());
  return log;
}

beforeAll(async () => {
  ensureBaseImage(NODE);
  removeContainersOf(NODE, "alice");
  removeContainersOf(NODE, "bob");
  must(onHost(NODE, "rm -f /tmp/bob-gpus-*.log"), "old logs");
  must(asUser(CONTROLLER, "bob", "cat > ~/gpu-share.sh && chmod +x ~/gpu-share.sh", BOB_JOB), "bob's batch file");
  // Nothing else may hold lab2's GPUs: the allocations of earlier tests' containers ended with them.
  // (sinfo may say "mix" for a minute after an allocation ended; what counts is that no GPU is allocated.)
  let last = "";
  await waitFor(`no GPU of ${NODE} allocated`, () => {
    const r = asUser(CONTROLLER, "bob", `scontrol show node ${NODE}`);
    last = /AllocTRES=.*/.exec(r.stdout)?.[0] ?? `exit ${r.code}: ${r.stdout}${r.stderr}`;
    return r.code === 0 && /^\s*AllocTRES=/m.test(r.stdout) && !/AllocTRES=.*gres\/gpu/.test(r.stdout) ? true : undefined;
  }, 120_000, 2000).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; scontrol said ${last}`);
  });
}, 300_000);

afterAll(() => {
  removeContainersOf(NODE, "alice");
  onHost(CONTROLLER, "scancel --user=bob --quiet || true");
  const dir = join(projectRoot, ".lab", "transcripts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gpu-owner.txt"), `${transcript.join("\n")}\n`);
  console.log(`GPUs of ${NODE}, containers and jobs:\n${transcript.join("\n")}`);
}, 300_000);

describe("GPUs of a Slurm node that is also a container host", () => {
  let held: PsRow;

  it("gives alice's container one GPU through a Slurm job in her name, which squeue shows", () => {
    must(as("alice", `ie-podman run -d --gpu --name held base ${LASTING}`), "run --gpu");
    const row = psRow("held");
    expect(row?.gpus).toHaveLength(1);
    expect(row?.job).toMatch(/^\d+$/);
    held = row as PsRow;
    expect(slurmGpus(held.job as string)).toEqual(held.gpus);
    const queue = must(as("bob", `squeue --noheader --nodelist=${NODE} --format='%i %j %u %T %N %b'`, CONTROLLER), "squeue");
    expect(queue).toMatch(new RegExp(`^${held.job} ie-podman alice RUNNING ${NODE} `, "m"));
    expect(containerDevices("held")).toEqual([`/dev/nvidia${held.gpus[0]}`]);
    transcript.push(`# the GPU devices podman gave held: ${containerDevices("held").join(" ")}`);
    as("alice", "ie-podman ps");
  });

  it("runs bob's 1-GPU job beside it on the other GPU: the job's cgroup and the container's devices are disjoint", async () => {
    const job = submitBob(1, 45);
    await waitFor(`bob's job ${job} running`, () => (jobState(job) === "RUNNING" ? true : undefined), 60_000);
    const jobGpus = slurmGpus(job);
    expect(jobGpus).toHaveLength(1);
    expect(jobGpus).not.toContain(held.gpus[0]);
    const log = await jobLog(job);
    expect(log).toContain(`CUDA_VISIBLE_DEVICES=0`); // Slurm numbers a job's own GPUs from 0
    // No driver in the lab: the job's own GPU fails with ENXIO (past the cgroup), the container's with EPERM.
    const opens = openResults(log);
    expect(opens.find((o) => o.gpu === jobGpus[0])?.result).toMatch(/No such device or address/);
    expect(opens.find((o) => o.gpu === held.gpus[0])?.result).toMatch(/Operation not permitted/);
    expect(containerDevices("held")).toEqual([`/dev/nvidia${held.gpus[0]}`]);
    as("bob", `squeue --noheader --nodelist=${NODE} --format='%i %j %u %T %b'`, CONTROLLER);
    await waitFor(`bob's job ${job} done`, () => (["", "COMPLETED"].includes(jobState(job)) ? true : undefined), 120_000, 2000);
  });

  it("will not let bob end alice's allocation with scancel", () => {
    const refused = as("bob", `scancel ${held.job}`, CONTROLLER);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Access\/permission denied|Permission denied|not the owner/i);
    expect(jobState(held.job as string)).toBe("RUNNING");
    expect(psRow("held")?.state).toBe("running");
  });

  it("keeps bob's 2-GPU job pending while alice holds a GPU and starts it once she removes her container; then refuses her GPU run at once, or queues it with --gpu-wait", async () => {
    const job = submitBob(2, 40);
    await waitFor(`bob's 2-GPU job ${job} pending on resources`, () => {
      const out = asUser(CONTROLLER, "bob", `squeue --noheader --jobs=${job} --format='%T %r'`).stdout.trim();
      return /^PENDING (Resources|Priority)$/.test(out) ? out : undefined;
    }, 30_000);
    as("bob", "squeue --noheader --format='%i %j %u %T %r %N %b'", CONTROLLER);
    must(as("alice", "ie-podman rm -f held"), "rm held");
    await waitFor(`bob's 2-GPU job ${job} running`, () => (jobState(job) === "RUNNING" ? true : undefined), 90_000, 2000);
    expect(slurmGpus(job)).toEqual([0, 1]);
    const log = await jobLog(job);
    expect(log).toContain("CUDA_VISIBLE_DEVICES=0,1");
    expect(openResults(log).every((o) => /No such device or address/.test(o.result))).toBe(true);
    // While bob's job holds both GPUs, alice's run says so at once, naming the job, and makes nothing.
    const refused = as("alice", "ie-podman run -d --gpu --name late base true");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Slurm jobs holding GPUs here: ${job} (bob)`);
    expect(psRow("late")).toBeUndefined();
    // With --gpu-wait her allocation queues, visible in squeue, and the container starts once bob's job is done.
    const waited = must(
      as("alice", `ie-podman run -d --gpu --gpu-wait=120 --name waited base ${LASTING} > ~/waited.id & sleep 5; squeue --noheader --user=alice --states=PENDING --format='%i %j %T %r'; wait $!; cat ~/waited.id; rm -f ~/waited.id`),
      "run --gpu-wait",
    );
    const pending = /^(\d+) ie-podman PENDING \w+$/m.exec(waited)?.[1];
    expect(pending).toBeDefined();
    expect(["", "COMPLETED"]).toContain(jobState(job));
    const row = psRow("waited");
    expect(row?.state).toBe("running");
    expect(row?.job).toBe(pending);
    must(as("alice", "ie-podman rm -f waited"), "rm waited");
  });

  it("stops a container whose allocation reaches its time limit, and says why in ps and the audit log", async () => {
    must(as("alice", `ie-podman run -d --gpu --time=1 --name brief base ${LASTING}`), "run --time=1");
    const job = psRow("brief")?.job;
    expect(job).toMatch(/^\d+$/);
    expect(must(onHost(CONTROLLER, `scontrol show job ${job}`), "scontrol")).toMatch(/TimeLimit=00:01:00/);
    // Slurm checks time limits about every 30 s and then signals the job; ie-podman's sync runs every 15 s.
    const row = await waitFor("the brief container stopped by sync", () => {
      const r = psRow("brief");
      return r !== undefined && r.state !== "running" && r.jobEnded !== undefined ? r : undefined;
    }, 240_000, 5000);
    expect(row.jobEnded).toBe(`Slurm job ${job} ended: its time limit was reached`);
    const ps = must(as("alice", "ie-podman ps -a"), "ps -a");
    expect(ps).toContain("its time limit was reached");
    const audit = must(onHost(NODE, `grep '"verb":"sync"' /var/log/ie-podman/audit.log | grep '${row.id.slice(0, 12)}' | tail -n 1`), "audit");
    expect(JSON.parse(audit)).toMatchObject({ user: "alice", verb: "sync", decision: "done" });
    // Its allocation is over, so it is not started again on GPUs it no longer holds.
    const again = as("alice", "ie-podman start brief");
    expect(again.code).not.toBe(0);
  });

  it("lets no option of ie-podman reach Slurm's command line unchecked, and makes no job for a refused one", () => {
    const jobsBefore = must(onHost(CONTROLLER, "squeue --noheader --all --states=all --user=alice --format=%i"), "squeue").trim();
    for (const options of ["--time='1 --uid=0'", "--time=--help", "--time=1-00:00:00:00", "--time=0", "--gpu-wait=--help", "--gpu-wait='10 --partition=x'", "--gpu-wait=99999h"]) {
      const r = as("alice", `ie-podman run -d --gpu ${options} base true`);
      expect(r.code, options).toBe(2);
      expect(r.stderr, options).toMatch(/--time|--gpu-wait/);
    }
    const noGpu = as("alice", "ie-podman run -d --time=5 base true");
    expect(noGpu.code).toBe(2);
    expect(noGpu.stderr).toMatch(/only with --gpu/);
    expect(must(onHost(CONTROLLER, "squeue --noheader --all --states=all --user=alice --format=%i"), "squeue").trim()).toBe(jobsBefore);
  });
});
