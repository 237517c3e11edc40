/**
 * Containers on the lab, as the report's users would use them: alice and bob are ordinary users on a
 * container host; everything they do goes through ie-podman (sudo) or singularity. The transcript of
 * alice's commands with their output is kept in .lab/transcripts/containers.txt.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LASTING, asUser, containerCount as containerCountOn, ensureBaseImage, must, onHost, projectRoot, removeContainersOf, waitFor, type Run } from "./support";

const HOST = "lab2";
const POOL = /^10\.89\.(6[0-3])\.(\d+)$/;
const transcript: string[] = [];

/** `user` runs `command` on the container host (a login shell in their home); alice's go into the transcript. */
function as(user: "alice" | "bob", command: string, host = HOST): Run {
  const r = asUser(host, user, command);
  if (user === "alice") {
    transcript.push(`alice@${host}:~$ ${command}`, ...[r.stdout, r.stderr].filter((t) => t.trim() !== "").map((t) => t.trimEnd()), ...(r.code !== 0 ? [`[exit ${r.code}]`] : []));
  }
  return r;
}

interface PsRow {
  id: string;
  name: string;
  state: string;
  ip?: string;
  gpus: number[];
  /** The Slurm job holding the GPUs (lab2's GPUs come from Slurm). */
  job?: string;
  stoppedForSeconds?: number;
}
const psOf = (user: "alice" | "bob"): PsRow[] => JSON.parse(must(asUser(HOST, user, "ie-podman ps -a --json"), `${user} ps`)) as PsRow[];
const containerCount = () => containerCountOn(HOST);
const removeAllOf = (user: string) => removeContainersOf(HOST, user);

beforeAll(() => {
  ensureBaseImage(HOST);
  removeAllOf("alice");
  removeAllOf("bob");
  must(onHost(HOST, "rm -f ~alice/base.sif ~alice/bob-link; echo 'bob private' > ~bob/secret; chown bob: ~bob/secret; echo 'root private' > /root/secret"), "reset homes");
}, 300_000);

afterAll(() => {
  removeAllOf("alice");
  removeAllOf("bob");
  const dir = join(projectRoot, ".lab", "transcripts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "containers.txt"), `${transcript.join("\n")}\n`);
  console.log(`alice's commands on ${HOST}:\n${transcript.join("\n")}`);
}, 300_000);

describe("ie-podman run, as the report writes it", () => {
  it("gives a container an address of the pool and one GPU, and runs it as alice", () => {
    const out = must(as("alice", "ie-podman run --ip --gpu base sh -c 'echo uid=$(id -u) gid=$(id -g) CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES; ls /dev | grep nvidia; ip -4 -o addr show eth0'"), "run --ip --gpu");
    expect(out).toMatch(/^uid=2001 gid=2001 CUDA_VISIBLE_DEVICES=0$/m);
    const nodes = [...out.matchAll(/^(nvidia\d+)$/gm)].map((m) => m[1]);
    expect(nodes).toHaveLength(1);
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\/22/.exec(out)?.[1];
    expect(ip).toMatch(POOL);
    const row = psOf("alice").find((r) => r.ip === ip);
    expect(row?.gpus).toEqual([Number(nodes[0].slice("nvidia".length))]);
  });

  // lab2 is slurm-compute and container-host with GPUs: its GPUs come from Slurm, in alice's name. The
  // attached container above has exited, and its allocation ended with it: both GPUs are free again.
  it("gives GPUs exclusively through Slurm allocations and says so when none is left, starting nothing", () => {
    const first = must(as("alice", `ie-podman run -d --gpu --name gpu-one base ${LASTING}`), "first GPU").trim();
    const second = must(as("alice", `ie-podman run -d --gpu --name gpu-two base ${LASTING}`), "second GPU").trim();
    expect(second).toMatch(/^[0-9a-f]{64}$/);
    const rows = psOf("alice").filter((r) => r.id === first || r.id === second);
    expect(rows.flatMap((r) => r.gpus).sort()).toEqual([0, 1]);
    for (const r of rows) expect(r.job).toMatch(/^\d+$/);
    const jobs = must(onHost(HOST, "squeue --noheader --name=ie-podman --states=RUNNING --format='%i %u %b'"), "squeue");
    for (const r of rows) expect(jobs).toContain(`${r.job} alice`);
    const before = containerCount();
    const third = as("alice", "ie-podman run -d --gpu base sleep 600");
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/Slurm has no GPU free on lab2 for you now/);
    expect(containerCount()).toBe(before);
    // Both stay running for the ownership tests below. (That rm gives an allocation back is gpu-owner's proof:
    // in the lab, a container that stops takes every running container of its host with it, see LASTING.)
  });
});

describe("users see and touch only their own containers", () => {
  it("bob cannot see, stop, exec into, read the logs of, inspect or remove alice's container", () => {
    const alices = psOf("alice").find((r) => r.name === "gpu-two");
    if (alices === undefined) throw new Error("alice's gpu-two container is missing");
    expect(psOf("bob").map((r) => r.id)).not.toContain(alices.id);
    for (const verb of ["stop", "rm -f", "logs", "inspect", "start"]) {
      const r = asUser(HOST, "bob", `ie-podman ${verb} ${alices.id}`);
      expect(r.code, verb).toBe(1);
      expect(r.stderr).toContain(`no container of yours is called '${alices.id}'`);
    }
    const e = asUser(HOST, "bob", `ie-podman exec ${alices.id} id`);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("no container of yours");
    // By name too: the name is alice's, bob's word for it finds nothing.
    expect(asUser(HOST, "bob", "ie-podman stop gpu-two").stderr).toContain("no container of yours is called 'gpu-two'");
    expect(psOf("alice").find((r) => r.name === "gpu-two")?.state).toBe("running");
  });

  it("bob cannot reach Podman itself: no socket, no rights on Podman's storage", () => {
    must(asUser(HOST, "bob", "test ! -w /run/podman/podman.sock && test ! -r /srv/ssd/containers/storage && test ! -r /var/lib/ie-podman/ledger.json"), "no access");
  });
});

describe("the policy on the real host", () => {
  const refused: [string, string][] = [
    ["--privileged", "--privileged"],
    ["--cap-add=SYS_ADMIN", "--cap-add"],
    ["--device=/dev/nvidia1", "--device"],
    ["-v /etc:/x", "-v"],
    ["-v /home/bob:/b", "-v"],
    ["-v /home/alice/bob-link:/b", "-v"],
    ["--mount type=bind,src=/root,dst=/r", "--mount"],
    ["--network=host", "--network"],
    ["--pid=host", "--pid"],
    ["--ipc=host", "--ipc"],
    ["--uts=host", "--uts"],
    ["--userns=host", "--userns"],
    ["--cgroupns=host", "--cgroupns"],
    ["--security-opt seccomp=unconfined", "--security-opt"],
    ["--sysctl net.ipv4.ip_forward=1", "--sysctl"],
    ["--group-add=0", "--group-add"],
    ["--user=0", "--user"],
    ["--pod=p", "--pod"],
    ["--volumes-from=gpu-two", "--volumes-from"],
    ["--env-host", "--env-host"],
    ["--uidmap=0:0:1", "--uidmap"],
    ["--label=ie-podman.owner=2002", "--label"],
    ["--frobnicate", "--frobnicate"],
  ];

  it("refuses every option that would reach the host, naming it, and starts nothing", () => {
    must(asUser(HOST, "alice", "ln -sfn /home/bob ~/bob-link"), "symlink out of the home");
    const before = containerCount();
    for (const [option, named] of refused) {
      const r = as("alice", `ie-podman run ${option} base true`);
      expect(r.code, option).toBe(2);
      expect(r.stderr, option).toMatch(new RegExp(`^ie-podman run: ${named.replace(/[-]/g, "\\-")}: `, "m"));
    }
    expect(containerCount()).toBe(before);
    const audit = must(onHost(HOST, "grep -c '\"user\":\"alice\",\"verb\":\"run\".*\"decision\":\"refused\"' /var/log/ie-podman/audit.log"), "audit");
    expect(Number(audit.trim())).toBeGreaterThanOrEqual(refused.length);
  });

  it("keeps /root and other users' homes out of a container, even with the home bound", () => {
    const r = as("alice", "ie-podman run --rm -v /home/alice:/home/alice base sh -c 'cat /root/secret; cat /home/bob/secret; ls /home/alice/bob-link/; echo done'");
    expect(r.stdout).toContain("done");
    expect(r.stdout).not.toMatch(/private/);
    expect(r.stderr).toMatch(/can't open '\/root\/secret'/);
    expect(r.stderr).toMatch(/can't open '\/home\/bob\/secret'/);
  });

  it("writes a refusal and an action of alice's to the audit log, which alice cannot read", () => {
    const lines = must(onHost(HOST, "tail -n 200 /var/log/ie-podman/audit.log"), "audit").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.user === "alice" && l.decision === "allowed" && l.verb === "run")).toBe(true);
    expect(lines.some((l) => l.user === "alice" && l.decision === "refused" && String(l.detail).startsWith("--privileged"))).toBe(true);
    expect(asUser(HOST, "alice", "cat /var/log/ie-podman/audit.log").code).not.toBe(0);
  });
});

// More than a /24's 254 addresses: ie-podman/leases.test.ts hands out all 1021 of a /22, and the benchmark
// (npm run bench -- --only ie-podman) runs 500 addressed containers on this host. A scale run, not a test.
describe("the address pool", () => {
  it("gives 20 parallel runs 20 distinct addresses", () => {
    const out = must(as("alice", "for i in $(seq 20); do ie-podman run --ip -d base sleep 600 > ~/par-$i.id & done; wait; cat ~/par-*.id; rm -f ~/par-*.id"), "20 parallel runs");
    const ids = out.trim().split("\n");
    expect(ids).toHaveLength(20);
    const ips = psOf("alice").filter((r) => ids.includes(r.id)).map((r) => r.ip);
    expect(ips).toHaveLength(20);
    expect(new Set(ips).size).toBe(20);
    for (const ip of ips) expect(ip).toMatch(POOL);
    must(asUser(HOST, "alice", `ie-podman rm -f -t 0 ${ids.join(" ")} >/dev/null`), "rm the 20");
  });
});

describe("the reaper", () => {
  it("removes a container stopped 8 days ago, keeps one stopped 1 day ago, and frees the lease", () => {
    must(as("alice", "ie-podman run --ip --name old base true && ie-podman run --ip --name recent base true"), "two containers");
    const rows = psOf("alice");
    const old = rows.find((r) => r.name === "old");
    const recent = rows.find((r) => r.name === "recent");
    if (old === undefined || recent === undefined) throw new Error(`old/recent missing: ${JSON.stringify(rows)}`);
    // The ledger's stop times stand for the clock: the lab's hosts share this machine's.
    const node = `const fs=require("fs"),f="/var/lib/ie-podman/ledger.json",l=JSON.parse(fs.readFileSync(f,"utf8")),now=Math.floor(Date.now()/1000);
for (const x of l.leases) { if (x.container===${JSON.stringify(old.id)}) x.stoppedAt=now-8*86400; if (x.container===${JSON.stringify(recent.id)}) x.stoppedAt=now-86400; }
fs.writeFileSync(f, JSON.stringify(l));`;
    must(onHost(HOST, "node", node), "age the ledger");
    const ps = must(as("alice", "ie-podman ps -a"), "ps -a");
    expect(ps).toMatch(/old\s.*exited\s.*8d 0h/);
    expect(ps).toMatch(/recent\s.*exited\s.*1d 0h\s+removed in (6d 0h|5d 23h)$/m);
    expect(ps).toMatch(/old\s.*removed within the hour$/m);
    must(onHost(HOST, "systemctl start ie-podman-reap.service"), "run the reaper unit");
    const audit = must(onHost(HOST, "grep '\"verb\":\"reap\"' /var/log/ie-podman/audit.log | tail -n 5"), "reaper's audit lines");
    expect(audit).toContain(`removed ${old.id.slice(0, 12)} (uid 2001, stopped for 8d 0h)`);
    // In the owner's audit trail: the line carries alice's uid and name.
    expect(audit).toMatch(new RegExp(`"uid":2001,"user":"alice","verb":"reap","args":\\["${old.id}"\\]`));
    const after = psOf("alice").map((r) => r.name);
    expect(after).toContain("recent");
    expect(after).not.toContain("old");
    const ledger = must(onHost(HOST, "cat /var/lib/ie-podman/ledger.json"), "ledger");
    expect(ledger).not.toContain(old.id);
    expect(must(onHost(HOST, "systemctl is-enabled ie-podman-reap.timer"), "timer").trim()).toBe("enabled");
  });
});

describe("Apptainer", () => {
  it("turns an image into a SIF owned by alice that singularity run --nv and exec run", () => {
    must(as("alice", "ie-podman sif base"), "sif");
    expect(must(onHost(HOST, "stat -c '%U:%G' ~alice/base.sif"), "stat").trim()).toBe("alice:alice");
    expect(must(as("alice", "singularity run --nv base.sif"), "singularity run")).toContain("hello from base");
    expect(must(as("alice", "singularity exec base.sif id -u"), "singularity exec").trim()).toBe("2001");
    const again = as("alice", "ie-podman sif base");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("base.sif exists");
  });

  it("runs the SIF in a Slurm batch job with a GPU: singularity exec --nv", async () => {
    const script = readFileSync(join(projectRoot, "test", "lab", "fixtures", "sif-job.sh"), "utf8");
    must(onHost("lab1", "cat > ~alice/sif-job.sh && chown alice: ~alice/sif-job.sh", script), "job file");
    must(onHost(HOST, "install -d -o alice -g alice ~alice/logs"), "log directory");
    // Submitted from the controller (the compute nodes have no Slurm client); the job runs in alice's
    // CephFS home on the node, where the SIF is.
    const jobId = must(as("alice", "sbatch --parsable --chdir=/home/alice < sif-job.sh", "lab1"), "sbatch").trim().split(";")[0];
    const out = await waitFor(`job ${jobId}`, () => {
      const state = /JobState=(\w+)/.exec(asUser("lab1", "alice", `scontrol show job ${jobId}`).stdout)?.[1];
      if (state !== undefined && ["FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"].includes(state)) throw new Error(`job ${jobId} ended ${state}`);
      return state === "COMPLETED" ? state : undefined;
    }, 120_000, 2000);
    expect(out).toBe("COMPLETED");
    const log = must(as("alice", `cat logs/sif-check-${jobId}.log`), "job log");
    expect(log).toMatch(/^inside the SIF as uid 2001, CUDA_VISIBLE_DEVICES=0$/m);
  });
});

describe("build", () => {
  it("builds alice's Containerfile under her name and refuses a context outside her home", () => {
    must(onHost(HOST, "install -d -o alice -g alice ~alice/ctx && printf 'FROM localhost/base:latest\\nRUN echo built-by-uid-$(id -u) > /built\\n' > ~alice/ctx/Containerfile && chown alice: ~alice/ctx/Containerfile"), "context");
    must(as("alice", "ie-podman build -t mine ctx"), "build");
    expect(must(as("alice", "ie-podman run --rm localhost/alice/mine cat /built"), "run built").trim()).toBe("built-by-uid-0");
    const outside = as("alice", "ie-podman build -t etc /etc");
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/CONTEXT: '\/etc' is outside your home/);
    expect(must(as("alice", "ie-podman images"), "images")).toContain("localhost/alice/mine");
  });
});

describe("--help", () => {
  it("answers for every verb on the host", () => {
    for (const verb of ["run", "ps", "stop", "start", "rm", "logs", "exec", "inspect", "build", "images", "sif"]) {
      expect(must(asUser(HOST, "alice", `ie-podman ${verb} --help`), verb)).toMatch(new RegExp(`^usage: ie-podman ${verb} `));
    }
  });
});
