/**
 * `apply`: what a converge costs an admin, with the project's own `npm run lab` commands, timed from outside
 * as an admin waits for them:
 * - a Slurm-only department on 2 fresh hosts (controller + one GPU node), the peer Ansible role's case: first
 *   converge, then a GPU job run to its end, the no-op re-apply, and one reconfigure-class setting changed
 *   (with whether any daemon restarted);
 * - the whole lab from nothing to converged: on an empty apt archive (a fresh machine) and on a warm one.
 * It takes the lab down first and leaves the lab stack up and applied, as the other lab parts expect it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asUser, labCli, must, onHost, projectRoot, summaryCounts, writeLabStack } from "../../test/lab/support";
import type { BenchPart, PartResult } from "../types";
import { SLURM_ONLY_HOSTS, slurmOnlyStack } from "./apply-stacks";

const CONTROLLER = SLURM_ONLY_HOSTS[0].name;
const GPU_NODE = SLURM_ONLY_HOSTS[1].name;

/** Runs `npm run lab -- ARGS`: its wall seconds and output; throws with the output's end when it fails. */
function lab(args: readonly string[], env: Readonly<Record<string, string>> = {}): { seconds: number; output: string } {
  const r = labCli(args, { env });
  const output = `${r.stdout}${r.stderr}`;
  if (r.code !== 0) throw new Error(`npm run lab -- ${args.join(" ")} exited ${r.code}:\n${output.split("\n").slice(-30).join("\n")}`);
  return { seconds: r.seconds, output };
}

/**
 * When systemd last started a unit and how often it restarted it: what changes when a daemon is restarted.
 * Not its PID: Slurm >= 23.11 carries out `scontrol reconfigure` by re-executing each daemon in place (new
 * PID, same unit life, running jobs go on).
 */
const unitLife = (host: string, unit: string): string =>
  must(onHost(host, `systemctl show -p ActiveEnterTimestampMonotonic -p NRestarts --value ${unit} | tr '\\n' ' '`), `${unit} life`).trim();

/** Seconds from submission until a 1-GPU job has run to its end on the GPU node, as alice. */
function gpuJobSeconds(): number {
  const started = Date.now();
  const id = must(asUser(CONTROLLER, "alice", "sbatch --parsable --gpus tesla:1 --chdir=/tmp --output=/dev/null --wrap 'test -n \"$CUDA_VISIBLE_DEVICES\"'"), "sbatch").trim();
  for (;;) {
    const state = /JobState=(\S+)/.exec(must(onHost(CONTROLLER, `scontrol show job ${id}`), "scontrol show job"))?.[1] ?? "";
    if (state === "COMPLETED") return (Date.now() - started) / 1000;
    if (!["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"].includes(state)) throw new Error(`the GPU job ${id} ended ${state}`);
    if (Date.now() - started > 300_000) throw new Error(`the GPU job ${id} is still ${state} after 300 s`);
    spawnSync("sleep", ["0.5"]);
  }
}

interface SlurmOnlySample {
  readonly boot: number;
  readonly firstApply: number;
  readonly gpuJob: number;
  readonly noop: number;
  readonly noopChanged: number;
  readonly reconfigure: number;
  readonly restarted: string[];
}

function slurmOnly(log: (line: string) => void): SlurmOnlySample {
  const text = readFileSync(join(projectRoot, "stacks", "Pulumi.lab.yaml"), "utf8");
  const file = writeLabStack("bench-slurm-only", slurmOnlyStack(text));
  const changed = writeLabStack("bench-slurm-only-reconfigure", slurmOnlyStack(text, 11));
  log(`apply: Slurm-only stack on ${CONTROLLER} and ${GPU_NODE}: up`);
  const boot = lab(["up", "--config-file", file]).seconds;
  log("apply: Slurm-only: first converge");
  const firstApply = lab(["apply", "--config-file", file]).seconds;
  log("apply: Slurm-only: a GPU job");
  const gpuJob = gpuJobSeconds();
  log("apply: Slurm-only: no-op re-apply");
  const noop = lab(["apply", "--config-file", file]);
  const counts = summaryCounts(noop.output);
  const lives = () => ({ slurmctld: unitLife(CONTROLLER, "slurmctld"), slurmd: unitLife(GPU_NODE, "slurmd"), munge: unitLife(GPU_NODE, "munge") });
  const before = lives();
  log("apply: Slurm-only: MessageTimeout changed");
  const reconfigure = lab(["apply", "--config-file", changed]).seconds;
  const after = lives();
  const restarted = (Object.keys(before) as (keyof typeof before)[]).filter((d) => before[d] !== after[d]);
  return { boot, firstApply, gpuJob, noop: noop.seconds, noopChanged: (counts.create ?? 0) + (counts.update ?? 0) + (counts.replace ?? 0) + (counts.delete ?? 0), reconfigure, restarted };
}

/** The lab stack from nothing: `up` and `apply` seconds, on the archive `env` names (the usual one by default). */
function wholeLab(env: Readonly<Record<string, string>>): { up: number; apply: number } {
  const up = lab(["up"], env).seconds;
  const apply = lab(["apply"], env).seconds;
  return { up, apply };
}

export const applyPart: BenchPart = {
  name: "apply",
  description: "converge times: a Slurm-only stack on 2 fresh hosts (first, GPU job, no-op, reconfigure), the whole lab fresh and warm",
  needsLab: true,
  bringsOwnLab: true,
  async run(ctx): Promise<PartResult> {
    const slurm: SlurmOnlySample[] = [];
    const fresh: { up: number; apply: number }[] = [];
    const warm: { up: number; apply: number }[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      ctx.log(`apply: run ${run + 1} of ${ctx.runs}: lab down`);
      lab(["down"]);
      slurm.push(slurmOnly(ctx.log));
      lab(["down"]);
      // A fresh machine: the hosts boot on an empty apt archive of their own, made and removed by this part.
      const archive = mkdtempSync("/var/tmp/bench-apt-archive-");
      try {
        ctx.log("apply: the whole lab on an empty apt archive");
        fresh.push(wholeLab({ IE_LAB_APT_ARCHIVE: archive }));
        lab(["down"]);
      } finally {
        rmSync(archive, { recursive: true, force: true });
      }
      ctx.log("apply: the whole lab on the warm apt archive");
      warm.push(wholeLab({}));
    }
    const restarts = [...new Set(slurm.flatMap((s) => s.restarted))];
    return {
      tables: [
        {
          title: "The lab stack from nothing to converged (3 hosts: Ceph, Slurm, VM host, containers)",
          unit: "s",
          rows: [
            { label: "fresh machine (empty apt archive): lab up", samples: fresh.map((f) => f.up) },
            { label: "fresh machine (empty apt archive): lab apply", samples: fresh.map((f) => f.apply) },
            { label: "fresh machine: up + apply", samples: fresh.map((f) => f.up + f.apply), note: "target < 360 s" },
            { label: "warm apt archive: lab up", samples: warm.map((w) => w.up) },
            { label: "warm apt archive: lab apply", samples: warm.map((w) => w.apply) },
            { label: "warm: up + apply", samples: warm.map((w) => w.up + w.apply), note: "target < 180 s" },
          ],
        },
        {
          title: `A Slurm-only stack (${CONTROLLER}: controller, ${GPU_NODE}: GPU node; 2 fresh hosts, warm apt archive)`,
          unit: "s",
          rows: [
            { label: "lab up (2 hosts booted)", samples: slurm.map((s) => s.boot) },
            { label: "first converge (lab apply)", samples: slurm.map((s) => s.firstApply), note: "goal ≤ 10 s; ansible-slurm: 29.5 s" },
            { label: "a 1-GPU job, submitted to done", samples: slurm.map((s) => s.gpuJob) },
            { label: "no-op re-apply", samples: slurm.map((s) => s.noop), note: "ansible-slurm: 6.0 s" },
            { label: "reconfigure-class change (MessageTimeout)", samples: slurm.map((s) => s.reconfigure), note: "ansible-slurm: 6.6 s, restarting both daemons" },
          ],
        },
      ],
      notes: [
        "Every time is the wall time of the project's own command (`npm run lab -- up|apply`), as an admin waits for it; `apply` runs the stack's commands over SSH in the order `pulumi up` would.",
        "The fresh machine's hosts boot on an empty apt archive of their own (IE_LAB_APT_ARCHIVE), so every package comes from the mirror; the base root file system and the guest image stay cached.",
        `No-op re-apply: ${slurm.map((s) => s.noopChanged).join(", ")} resources changed. After the MessageTimeout change: ${restarts.length === 0 ? "systemd restarted no daemon (slurmctld, slurmd and munge kept their start times and restart counts; `scontrol reconfigure` applies it, and Slurm re-executes its daemons in place)" : `restarted by systemd: ${restarts.join(", ")}`}.`,
        "Peer reference (galaxyproject/ansible-slurm on the same kind of nspawn lab, Debian 12 hosts): 29.5 s first deploy, 6.0 s no-op, 6.6 s for one setting, restarting both daemons.",
      ],
    };
  },
};
