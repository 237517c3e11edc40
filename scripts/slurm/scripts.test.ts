/**
 * The Slurm host scripts, run for real on this machine.
 * daemon.sh and wait-node.sh talk to systemd and Slurm only through systemctl/scontrol/sinfo/journalctl,
 * so stand-ins for those commands on PATH play a host whose state each test sets. install.sh and
 * munge-key.sh change system paths (apt, /etc/munge): the lab runs them on real hosts; here install.sh runs
 * against stand-ins of apt and dpkg only to show which packages a role gets.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPTS = __dirname;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: readonly string[], options: { input?: string; path?: string; env?: Record<string, string> } = {}): Run {
  const result = spawnSync("bash", [join(SCRIPTS, script), ...args], {
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 20_000,
    env: { ...options.env, PATH: `${options.path === undefined ? "" : `${options.path}:`}/usr/sbin:/usr/bin:/sbin:/bin` },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "slurm-scripts-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});


/** Stand-ins for systemctl & co.: unit state lives in files of `state/`; every call is logged. */
function standIns(units: Record<string, string>, extra: Record<string, string> = {}): string {
  const bin = join(dir, "bin");
  const state = join(dir, "state");
  spawnSync("mkdir", ["-p", bin, state]);
  for (const [unit, status] of Object.entries(units)) writeFileSync(join(state, unit), status);
  const scripts: Record<string, string> = {
    systemctl: `
echo "systemctl $*" >> ${dir}/calls
unit="\${@: -1}"
case "$1" in
  is-active) s=$(cat ${state}/$unit 2>/dev/null || echo inactive); [[ "$*" == *--quiet* ]] || echo "$s"; [[ $s == active ]] ;;
  is-enabled) [[ -f ${state}/$unit.enabled ]] ;;
  enable) touch ${state}/$unit.enabled ;;
  show) cat ${state}/$unit.started 2>/dev/null || echo n/a ;;
  start|restart) cat ${state}/$unit.on-start 2>/dev/null > ${state}/$unit || echo active > ${state}/$unit ;;
  *) ;;
esac`,
    journalctl: `echo "journal of \${@: -2}"`,
    scontrol: `echo "scontrol $*" >> ${dir}/calls; echo "Slurmctld(primary) at ctl1 is UP"`,
    ...extra,
  };
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function calls(): string[] {
  try {
    return readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
  } catch {
    return [];
  }
}

describe("daemon.sh", () => {
  it("ensure-running leaves a running daemon alone (no restart)", () => {
    const path = standIns({ slurmd: "active", "slurmd.enabled": "" });
    const result = run("daemon.sh", ["ensure-running", "slurmd"], { path });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("unchanged: slurmd already running");
    expect(calls().filter((c) => /start|restart/.test(c))).toEqual([]);
  });

  it("ensure-running enables and starts a stopped daemon and waits until it stays up", () => {
    const path = standIns({ slurmd: "inactive" });
    const result = run("daemon.sh", ["ensure-running", "slurmd"], { path });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("enabled slurmd\nstarted slurmd\n");
  });

  it("restart of slurmctld waits for scontrol ping", () => {
    const path = standIns({ slurmctld: "active" });
    const result = run("daemon.sh", ["restart", "slurmctld"], { path });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("restarted slurmctld\n");
    expect(calls()).toContain("scontrol ping");
  });

  it("a daemon that fails on start is an error, with its journal", () => {
    const path = standIns({ slurmd: "inactive", "slurmd.on-start": "failed" });
    const result = run("daemon.sh", ["restart", "slurmd"], { path });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("slurmd failed to start");
    expect(result.stderr).toContain("journal of");
  });

  it("reconfigure retries while the controller is coming up", () => {
    const flaky = `n=$(cat ${dir}/tries 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/tries; ((n >= 2))`;
    const path = standIns({}, { scontrol: flaky });
    const result = run("daemon.sh", ["reconfigure", "slurmctld"], { path });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("reconfigured: scontrol reconfigure (attempt 3)\n");
  });

  describe("restart-if-stale and reconfigure-if-stale: act only on files newer than what the daemon read", () => {
    const started = "Wed 2026-11-25 10:00:00.500000 UTC";
    function conf(mtime: string): string {
      const file = join(dir, "slurm.conf");
      writeFileSync(file, "x\n");
      spawnSync("touch", ["-d", mtime, file]);
      return file;
    }
    const env = () => ({ IE_INFRA_STAMP_DIR: join(dir, "stamps") });

    it("restarts when a file changed after the daemon started", () => {
      const path = standIns({ slurmd: "active", "slurmd.started": started });
      const result = run("daemon.sh", ["restart-if-stale", "slurmd", conf("2026-11-25 10:00:01 UTC")], { path, env: env() });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/changed after slurmd last read it\nrestarted slurmd\n$/);
    });

    it("leaves the daemon alone when the files are older than its start (same second, earlier fraction)", () => {
      const path = standIns({ slurmd: "active", "slurmd.started": started });
      const result = run("daemon.sh", ["restart-if-stale", "slurmd", conf("2026-11-25 10:00:00.2 UTC")], { path, env: env() });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe("unchanged: slurmd already runs with the current files\n");
      expect(calls().filter((c) => /start|restart/.test(c))).toEqual([]);
    });

    it("starts a daemon that is not running", () => {
      const path = standIns({ slurmd: "inactive" });
      const result = run("daemon.sh", ["restart-if-stale", "slurmd", conf("2026-11-25 10:00:01 UTC")], { path, env: env() });
      expect(result.stdout).toBe("started slurmd\n");
    });

    it("reconfigures once, then not again for the same file", () => {
      const path = standIns({ slurmctld: "active", "slurmctld.started": started });
      const file = conf("2026-11-25 10:00:05 UTC");
      const first = run("daemon.sh", ["reconfigure-if-stale", "slurmctld", file], { path, env: env() });
      expect(first.stdout).toMatch(/reconfigured: scontrol reconfigure/);
      const second = run("daemon.sh", ["reconfigure-if-stale", "slurmctld", file], { path, env: env() });
      expect(second.stdout).toBe("unchanged: slurmctld already runs with the current files\n");
      // A reconfigure also counts as reading the file: no restart follows for it.
      const restart = run("daemon.sh", ["restart-if-stale", "slurmctld", file], { path, env: env() });
      expect(restart.stdout).toBe("unchanged: slurmctld already runs with the current files\n");
    });

    it("refuses the -if-stale actions without files", () => {
      const path = standIns({});
      expect(run("daemon.sh", ["restart-if-stale", "slurmd"], { path }).status).toBe(2);
    });
  });

  it.each([
    ["an unknown action", ["reload", "slurmd"]],
    ["an unknown unit", ["restart", "sshd"]],
    ["reconfigure of slurmd", ["reconfigure", "slurmd"]],
    ["a missing unit", ["restart"]],
  ])("refuses %s", (_what, args) => {
    const path = standIns({});
    expect(run("daemon.sh", args, { path }).status).toBe(2);
    expect(calls()).toEqual([]);
  });
});

describe("wait-node.sh", () => {
  /** sinfo stand-in answering from a table of node -> "state|reason". */
  function sinfo(nodes: Record<string, string>): string {
    const cases = Object.entries(nodes)
      .map(([n, v]) => `  *=${n}) s='${v}' ;;`)
      .join("\n");
    return standIns({}, {
      sinfo: `node=""; for a in "$@"; do case "$a" in\n${cases}\n  *) ;; esac; done
case "$*" in *%T*) echo "\${s%%|*}" ;; *%E*) echo "\${s#*|}" ;; esac`,
    });
  }

  it("returns when every node is ready", () => {
    const result = run("wait-node.sh", ["5", "gpu1", "gpu2"], { path: sinfo({ gpu1: "idle|", gpu2: "mixed|" }) });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("nodes ready: gpu1 gpu2\n");
  });

  it("stops on a node that stays drained, with Slurm's reason, before the timeout", () => {
    const path = sinfo({ gpu1: "idle|", gpu2: "drained|gres/gpu count reported lower than configured" });
    const result = run("wait-node.sh", ["4", "gpu1", "gpu2"], { path }); // drained for 2 s of 4: stop
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("gpu2 is drained: gres/gpu count reported lower than configured");
  });

  it("gives up after the timeout on a node that stays down", () => {
    const result = run("wait-node.sh", ["1", "gpu1"], { path: sinfo({ gpu1: "down*|Not responding" }) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not ready after 1s: gpu1=down*");
  });
});

describe("install.sh", () => {
  /** Runs install.sh ROLE with apt, dpkg and the directory commands played by stand-ins; returns apt-get's install line. */
  function installed(role: string): string | undefined {
    const log = `echo "$(basename "$0") $*" >> ${dir}/calls`;
    const path = standIns({}, {
      "dpkg-query": `${log}; echo "not-installed"`,
      "apt-cache": log,
      "apt-get": log,
      install: log,
      stat: `${log}; echo "755 slurm:slurm"`,
      chown: log,
      chmod: log,
    });
    const result = run("install.sh", [role], { path });
    expect(result.status, result.stderr).toBe(0);
    return calls().find((c) => c.startsWith("apt-get ") && c.includes(" install "));
  }

  it("gives compute nodes slurm-client (salloc, scontrol, squeue, scancel: ie-podman's GPUs come from Slurm there)", () => {
    expect(installed("compute")).toMatch(/ install slurmd munge slurm-client$/);
  });

  it("gives the controller slurmctld and munge", () => {
    expect(installed("controller")).toMatch(/ install slurmctld munge$/);
  });
});
