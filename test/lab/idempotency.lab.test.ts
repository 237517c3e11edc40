/**
 * Applying again changes nothing: no command runs when nothing changed, the scripts themselves leave files
 * and daemons alone when run again on configured hosts, and a reconfigure-only Slurm change reaches every host
 * without restarting a daemon.
 */
import { describe, expect, it } from "vitest";
import { apply, asUser, changedLabStack, hostUnits, must, onHost, snapshot, summaryCounts, waitFor } from "./support";

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
    const changed = changedLabStack("messageTimeout", (doc) => doc.setIn(["config", "ie:slurm", "messageTimeout"], 23));

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
      const after = snapshot();
      const daemons = (x: Record<string, string>) => Object.values(x).flatMap((t) => t.split("\n").filter((l) => /^(munge|slurm)/.test(l)));
      console.log(`daemons before the reconfigure-only change:\n${daemons(before).join("\n")}\nafter:\n${daemons(after).join("\n")}`);
      expect(unitLives(after)).toEqual(unitLives(before));
      expect(onHost("lab1", `squeue -h -j ${jobId} -o %T`).stdout.trim()).toBe("RUNNING");
    } finally {
      onHost("lab1", `scancel ${jobId}`);
      apply();
    }
    expect(must(onHost("lab1", "grep -E '^MessageTimeout=' /etc/slurm/slurm.conf"), "lab1")).toBe("MessageTimeout=10\n");
  });
});
