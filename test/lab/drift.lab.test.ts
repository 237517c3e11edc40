/**
 * Configuration drift on the lab: `npm run drift -- lab` compares every managed file with its host, a hand
 * edit shows as a diff naming the host and the file, the next apply puts the file back, and the munge key's
 * content never appears in the report. Then a restart-class change restarts exactly the Slurm daemons.
 */
import { describe, expect, it } from "vitest";
import { apply, changedLabStack, drift, hostUnits, must, onHost, snapshot, waitFor } from "./support";

/** Per host and daemon: the systemd activation time (changes only when the unit is (re)started). */
function activations(): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(snapshot()).map(([host, text]) => [
      host,
      Object.fromEntries(
        text
          .split("\n")
          .filter((l) => /^(munge|slurm)/.test(l))
          .map((l) => [l.split(" ")[0], /since=(\d+)/.exec(l)?.[1] ?? "?"]),
      ),
    ]),
  );
}

describe("drift", () => {
  it("finds no drift after an apply", () => {
    const r = drift();
    console.log(r.stdout);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no drift: stack lab, 3 hosts, \d+ managed files$/m);
  });

  it("reports slurm.conf edited by hand on one node with its diff, and the next apply restores it", () => {
    must(onHost("lab2", "sed -i 's/^MessageTimeout=10$/MessageTimeout=77/' /etc/slurm/slurm.conf"), "hand edit");
    const r = drift();
    console.log(`drift report after a hand edit on lab2:\n${r.stdout}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^lab2 \(10\.77\.0\.12\): 1 of \d+ files differ$/m);
    expect(r.stdout).toMatch(/^ {2}DIFFERS \/etc\/slurm\/slurm\.conf \(content\)$/m);
    expect(r.stdout).toMatch(/^ {4}-MessageTimeout=77$/m);
    expect(r.stdout).toMatch(/^ {4}\+MessageTimeout=10$/m);
    expect(r.stdout).toMatch(/^lab1 \(10\.77\.0\.11\): \d+ files as the stack wants them$/m);
    const json = JSON.parse(drift("--json").stdout) as { drift: boolean; hosts: { host: string; files: { path: string; status: string }[] }[] };
    expect(json.drift).toBe(true);
    const differing = json.hosts.flatMap((h) => h.files.filter((f) => f.status !== "same").map((f) => `${h.host}:${f.path}`));
    expect(differing).toEqual(["lab2:/etc/slurm/slurm.conf"]);

    const out = apply();
    expect(out).toMatch(/update +lab2-file-slurm\.conf/);
    expect(must(onHost("lab2", "grep '^MessageTimeout=' /etc/slurm/slurm.conf"), "grep")).toBe("MessageTimeout=10\n");
    expect(drift().code).toBe(0);
  });

  it("never prints the munge key, in the text or the JSON, even when the key file differs", () => {
    const key = must(onHost("lab3", "base64 -w0 /etc/munge/munge.key"), "read key").trim();
    must(onHost("lab3", "cp -p /etc/munge/munge.key /root/munge.key.orig && head -c 1024 /dev/urandom > /etc/munge/munge.key && chmod 0644 /etc/munge/munge.key"), "tamper");
    const tampered = must(onHost("lab3", "base64 -w0 /etc/munge/munge.key"), "read tampered").trim();
    try {
      const text = drift();
      const json = drift("--json");
      console.log(`drift report with a changed munge key on lab3:\n${text.stdout}`);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/DIFFERS \/etc\/munge\/munge\.key \(content, mode\)/);
      expect(text.stdout).toContain("content differs (a secret: not shown)");
      for (const output of [text.stdout + text.stderr, json.stdout + json.stderr]) {
        for (const secret of [key, tampered]) {
          for (const piece of [secret.slice(0, 24), secret.slice(500, 524), secret.slice(-24)]) expect(output.includes(piece)).toBe(false);
        }
      }
    } finally {
      // Back as it was, so munged (which still holds the real key) and the file agree again.
      must(onHost("lab3", "mv -f /root/munge.key.orig /etc/munge/munge.key"), "restore key");
    }
    expect(drift().code).toBe(0);
  });

  it("a restart-class change (SlurmdPort) restarts slurmctld and every slurmd, and not munge", async () => {
    const changed = changedLabStack("nodePort", (doc) => doc.setIn(["config", "ie:slurm", "nodePort"], 7819));
    const before = activations();
    try {
      const out = apply("--config-file", changed);
      expect(out).toMatch(/update +lab1-slurmctld-restart/);
      const after = activations();
      console.log(`systemd activation (monotonic us) before: ${JSON.stringify(before)}\nafter: ${JSON.stringify(after)}`);
      for (const [host, units] of Object.entries(hostUnits)) {
        for (const unit of units) {
          if (unit === "munge") expect(after[host][unit], `${host} munge`).toBe(before[host][unit]);
          else expect(after[host][unit], `${host} ${unit}`).not.toBe(before[host][unit]);
        }
      }
      await waitFor("slurmd listening on 7819", () => (/SlurmdPort\s*=\s*7819/.test(onHost("lab1", "scontrol show config").stdout) ? true : undefined), 30_000);
    } finally {
      apply();
    }
    expect(must(onHost("lab2", "grep '^SlurmdPort=' /etc/slurm/slurm.conf"), "grep")).toBe("SlurmdPort=7818\n");
  });
});
