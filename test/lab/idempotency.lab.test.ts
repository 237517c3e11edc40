/**
 * Applying again changes nothing: no command runs when nothing changed, the scripts themselves leave files
 * and daemons alone when run again on configured hosts, and a reconfigure-only Slurm change reaches every host
 * without restarting a daemon.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { asUser, must, onHost, projectRoot, waitFor } from "./support";

const hostUnits: Readonly<Record<string, readonly string[]>> = {
  lab1: ["munge", "slurmctld"],
  lab2: ["munge", "slurmd"],
  lab3: ["munge", "slurmd"],
};
const managedFiles = ["/etc/slurm/slurm.conf", "/etc/slurm/cgroup.conf", "/etc/munge/munge.key"];

/** Per host: each daemon's PID and start time, each managed file's mtime and checksum. */
function snapshot(): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [host, units] of Object.entries(hostUnits)) {
    const script = [
      ...units.map(
        (u) =>
          `echo "${u} pid=$(systemctl show -p MainPID --value ${u}) since=$(systemctl show -p ActiveEnterTimestampMonotonic --value ${u}) restarts=$(systemctl show -p NRestarts --value ${u})"`,
      ),
      ...managedFiles.map((f) => `echo "${f} $(stat -c %Y ${f}) $(sha256sum < ${f} | cut -c1-16)"`),
    ].join("\n");
    result[host] = must(onHost(host, script), `snapshot of ${host}`);
  }
  return result;
}

function apply(...args: string[]): string {
  const r = spawnSync(join(projectRoot, "node_modules", ".bin", "tsx"), ["scripts/lab/cli.ts", "apply", ...args], {
    cwd: projectRoot,
    encoding: "utf8",
    timeout: 900_000,
  });
  console.log(`apply ${args.join(" ")}:\n${r.stdout.split("\n").slice(-25).join("\n")}`);
  if (r.status !== 0) throw new Error(`apply ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function summaryCounts(output: string): Record<string, number> {
  const line = output.split("\n").find((l) => /^done in /.test(l));
  if (!line) throw new Error(`no summary line in apply output:\n${output}`);
  return Object.fromEntries([...line.matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
}

describe("idempotency", () => {
  it("a second apply with no change runs no command, changes no file and restarts no daemon", () => {
    const before = snapshot();
    const counts = summaryCounts(apply());
    expect(counts).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
    expect(counts.same).toBeGreaterThan(10);
    expect(snapshot()).toEqual(before);
  });

  it("every command run again on the configured hosts (state forgotten) changes no file and restarts no daemon", () => {
    const before = snapshot();
    const counts = summaryCounts(apply("--forget-state"));
    expect(counts.create).toBeGreaterThan(10);
    expect(snapshot()).toEqual(before);
  });

  it("a reconfigure-only change (MessageTimeout) reaches every host and restarts nothing", async () => {
    const dir = join(projectRoot, ".lab", "stacks");
    mkdirSync(dir, { recursive: true });
    const changed = join(dir, "Pulumi.lab.yaml");
    const doc = parseDocument(readFileSync(join(projectRoot, "stacks", "Pulumi.lab.yaml"), "utf8"));
    doc.setIn(["config", "ie:slurm", "messageTimeout"], 23);
    writeFileSync(changed, doc.toString());

    // Slurm >= 23.11 carries out `scontrol reconfigure` by re-executing each daemon in place: the daemon's
    // PID changes, but systemd never stops or starts the unit (same ActiveEnter time, no restart) and
    // running jobs go on. That is what "no restart" means here; munge must not even change its PID.
    const unitLives = (s: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(s).map(([h, text]) => [
          h,
          text
            .split("\n")
            .filter((l) => /^(munge|slurm)/.test(l))
            .map((l) => (l.startsWith("munge") ? l : l.replace(/ pid=\d+/, ""))),
        ]),
      );
    const before = snapshot();
    const jobId = must(asUser("lab1", "alice", "sbatch --parsable --job-name survivor --output /dev/null --gpus tesla:1 --wrap 'sleep 120'"), "sbatch").trim();
    try {
      await waitFor(`job ${jobId} running`, () => (/RUNNING/.test(onHost("lab1", `squeue -h -j ${jobId} -o %T`).stdout) ? true : undefined), 60_000);
      apply("--config-file", changed);
      for (const host of Object.keys(hostUnits)) {
        expect(must(onHost(host, "grep -E '^MessageTimeout=' /etc/slurm/slurm.conf"), host)).toBe("MessageTimeout=23\n");
      }
      await waitFor("slurmctld to report MessageTimeout 23", () => {
        const out = onHost("lab1", "scontrol show config | grep -E '^MessageTimeout'").stdout;
        return /=\s*23 sec/.test(out) ? out : undefined;
      }, 30_000);
      expect(unitLives(snapshot())).toEqual(unitLives(before));
      expect(onHost("lab1", `squeue -h -j ${jobId} -o %T`).stdout.trim()).toBe("RUNNING");
    } finally {
      onHost("lab1", `scancel ${jobId}`);
      apply();
    }
    expect(must(onHost("lab1", "grep -E '^MessageTimeout=' /etc/slurm/slurm.conf"), "lab1")).toBe("MessageTimeout=10\n");
  });
});
