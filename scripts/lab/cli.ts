/**
 * `npm run lab -- <verb>`: the lab's command line. Verbs are dispatched from a table, so a new verb is one
 * entry. Without a verb it runs `all`: the hosts up, then the lab stack applied to them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { harvestAllHosts } from "./apt-pool";
import { formatTable, mib, summariseRemoved } from "./format";
import {
  labCheck,
  labDown,
  labDownArguments,
  labHosts,
  labHostsNotUp,
  labKnownHostsPath,
  labRestart,
  labSshArgs,
  labSshKeyPath,
  labStatePath,
  labStatus,
  labPlan,
  labUp,
  projectRoot,
} from "./lab";
import { aptArchiveDir, hostsDir } from "./paths";
import { labApply } from "./runner/apply";
import type { LabStatus } from "./status";

export interface Verb {
  /** One line for the overview. */
  readonly summary: string;
  /** The verb's own --help text. */
  readonly help: string;
  /** Runs the verb with the arguments after it; resolves with the exit status. */
  run(args: readonly string[]): Promise<number>;
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function requireRoot(verb: string): void {
  if (process.getuid?.() !== 0) throw new Error(`lab ${verb} changes this machine (nspawn, bridge, nftables): run it as root`);
}

/** Options a verb accepts besides --help (all strings or booleans). */
type OptionSpec = Readonly<Record<string, { readonly type: "string" | "boolean" }>>;

function options(args: readonly string[], spec: OptionSpec): Record<string, string | boolean | undefined> {
  const { values } = parseArgs({ args: [...args], options: { help: { type: "boolean", short: "h" }, ...spec }, allowPositionals: false, strict: true });
  return values as Record<string, string | boolean | undefined>;
}

const up: Verb = {
  summary: "create and boot the hosts of the lab stack (or of --config-file FILE); hosts that run are left alone",
  help: [
    "usage: lab up [--config-file FILE] [--timeout SECONDS]",
    "",
    "Installs what this machine lacks (debootstrap, systemd-container, nftables), cleans what a killed lab",
    "left, makes each host of the stack file that does not run yet from the cached Debian 13 base, sets up",
    "the bridge and the firewall (only the Debian mirror is reachable) and boots the hosts; pins their host",
    "keys in the files their hostKey: file:.lab/hostkeys/<host>.pub names.",
    "",
    "Hosts that already run are left running: on a running lab `up` changes nothing, and a FILE with one more",
    "host boots just that host (the others' /etc/hosts then list it). Running hosts that FILE does not list",
    "are left running too; 'lab down HOST' removes one. FILE must fit the running lab: same site.hostNetwork,",
    "no running host's address or key file, a running host's address and GPUs unchanged; otherwise, and when",
    "FILE is missing or does not validate, nothing is booted.",
    "",
    "  --config-file FILE  the stack file whose hosts to boot (default stacks/Pulumi.lab.yaml)",
    "  --timeout SECONDS   how long a host may take to answer SSH (default 120)",
  ].join("\n"),
  async run(args) {
    const values = options(args, { timeout: { type: "string" }, "config-file": { type: "string" } });
    if (values.help) return help(up);
    const timeout = typeof values.timeout === "string" ? Number(values.timeout) : undefined;
    if (timeout !== undefined && !(timeout > 0)) throw new Error(`--timeout wants a number of seconds, not '${String(values.timeout)}'`);
    const configFile = typeof values["config-file"] === "string" ? values["config-file"] : undefined;
    // A missing or broken file is reported before anything else (root or not): nothing is booted.
    labPlan(configFile);
    requireRoot("up");
    const started = Date.now();
    const result = await labUp({ log: (l) => say(`  ${l}`), bootTimeoutSeconds: timeout, ...(configFile !== undefined ? { configFile } : {}) });
    if (result.alreadyUp) say(`every host of ${result.source} already runs: they were left running`);
    say(
      formatTable([
        ["HOST", "ADDRESS", "ROLES", "PID", "SECONDS"],
        ...result.hosts.map((h) => [h.name, h.address, h.roles.join(","), String(h.pid), h.started ? h.seconds.toFixed(1) : "running"]),
        ...result.leftRunning.map((h) => [h.name, h.address, h.roles.join(","), String(h.pid), `running, not in ${result.source}`]),
      ]),
    );
    const t = result.timings;
    if (!result.alreadyUp) {
      say(
        `timings (s): prerequisites ${t.prerequisites}, cleanup ${t.cleanup}, base rootfs ${t.rootfs} (${t.rootfsBuilt ? "built" : "cached"}), ` +
          `hosts prepared ${t.prepare}, network ${t.network}, boot to sshd ${t.boot}, golden image ${t.golden}`,
      );
    }
    say(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  },
};

const down: Verb = {
  summary: "stop the hosts and remove every trace of the lab (keeps the cache and the lab key); or just HOST",
  help: [
    "usage: lab down [HOST...]",
    "",
    "Without HOST: halts every host (SIGTERM, 20 s, then SIGKILL), those booted from another stack file",
    "(up --config-file) included, removes their cgroups, mounts, root file systems, PID files, records and",
    "pinned host keys, then the firewall and the bridge. Safe to run twice.",
    "",
    "With HOST: halts and removes just that host (its root file system, cgroups, PID file, record, pinned key",
    "and known_hosts line, and what 'lab apply' recorded for it); the other hosts, the bridge and the",
    "firewall stay. HOST must be a host of stacks/Pulumi.lab.yaml or one this machine has a trace of.",
  ].join("\n"),
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if (values.help) return help(down);
    const hosts = labDownArguments(positionals);
    requireRoot("down");
    const started = Date.now();
    const result = await labDown({ log: (l) => say(`  ${l}`), hosts });
    for (const h of result.hosts) say(`${h.name}: ${h.outcome}`);
    for (const item of summariseRemoved(result.removed)) say(`removed ${item}`);
    say(`${hosts.length > 0 ? `${hosts.join(", ")} down` : "lab down"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  },
};

function printStatus(s: LabStatus): void {
  say(
    formatTable([
      ["HOST", "ADDRESS", "STATE", "SSHD", "PID", "MEMORY"],
      ...s.hosts.map((h) => [h.name, h.address, h.running ? "running" : "stopped", h.sshd ? "yes" : "no", h.pid ? String(h.pid) : "-", mib(h.memoryBytes)]),
    ]),
  );
  const l = s.leftovers;
  if (s.clean) {
    say("nothing of a lab is left on this machine");
    return;
  }
  say(s.up ? "the lab is up; on this machine it has:" : "the lab is not (fully) up; traces on this machine:");
  say(`bridge: ${l.bridge ? "present" : "absent"}; nft table: ${l.nftTable ? "present" : "absent"}`);
  say(`cgroups: ${l.cgroups.length === 0 ? "none" : l.cgroups.join(" ")}`);
  say(`processes in the lab's cgroups: ${l.processes.length}`);
  say(`mounts under .lab/hosts: ${l.mounts.length === 0 ? "none" : l.mounts.join(" ")}`);
  say(`entries under .lab/hosts: ${l.rootfs.length}; PID files: ${l.pidFiles.length}; host records: ${l.hostRecords.length}; nspawn runtime files: ${l.nspawnRuntime.length}`);
  if (l.foreignRoots.length > 0) say(`another clone's lab runs here: ${l.foreignRoots.join(" ")}`);
}

const status: Verb = {
  summary: "which hosts run and answer SSH, and what of a lab exists on this machine",
  help: [
    "usage: lab status [--json]",
    "",
    "Lists the hosts of stacks/Pulumi.lab.yaml and every other host the lab's run dir knows (booted with",
    "'up --config-file'). Always exits 0; `up` in the JSON says whether every listed host runs and answers SSH,",
    "`clean` whether nothing of a lab is left (bridge, nft table, cgroups, mounts, processes, root file systems).",
  ].join("\n"),
  async run(args) {
    const values = options(args, { json: { type: "boolean" } });
    if (values.help) return help(status);
    const s = await labStatus();
    if (values.json) say(JSON.stringify(s, null, 2));
    else printStatus(s);
    return 0;
  },
};

const ssh: Verb = {
  summary: "log into a host as root, or run a command there",
  help: [
    "usage: lab ssh HOST [CMD...]",
    "",
    "HOST is a host of stacks/Pulumi.lab.yaml or any other the lab booted (up --config-file), by name or address.",
    "As root with the lab key; the host key must be the one pinned by `up`. Without CMD: an interactive",
    "login. One CMD word is a shell command line ('ls | wc -l'); several words are passed as they are",
    "(bash -c 'echo $HOSTNAME'). Exits with the remote command's status.",
  ].join("\n"),
  async run(args) {
    if (args.length === 0 || args[0] === "--help" || args[0] === "-h") return help(ssh, args.length === 0 ? 2 : 0);
    const [name, ...words] = args;
    const host = labHosts().find((h) => h.name === name || h.address === name);
    if (host === undefined) throw new Error(`no lab host '${name}': the lab has ${labHosts().map((h) => h.name).join(", ")}`);
    if (!existsSync(labKnownHostsPath())) throw new Error("the lab is not up (no pinned host keys): run `npm run lab -- up`");
    const r = spawnSync("ssh", labSshArgs(host.address, words, words.length > 0), { stdio: "inherit" });
    return r.status ?? 255;
  },
};

const restart: Verb = {
  summary: "halt one host and boot it again from the same root file system (a reboot rehearsal)",
  help:
    "usage: lab restart HOST\n\nA clean halt (the host's systemd shuts down), then a boot of the same root file system: what the\n" +
    "stack set up must come back by itself (mounts, daemons). Nothing of the host is removed. HOST is any host\n" +
    "the lab knows, those booted with 'up --config-file' included.",
  async run(args) {
    if (args.length !== 1 || args[0] === "--help" || args[0] === "-h") return help(restart, args.length === 1 ? 0 : 2);
    requireRoot("restart");
    const r = await labRestart(args[0]);
    say(`${r.host}: ${r.halt}, booted again (pid ${r.pid}), sshd answered after ${r.bootSeconds.toFixed(1)} s`);
    return 0;
  },
};

const check: Verb = {
  summary: "health check: hosts up, systemd running (or degraded), sshd answering, clocks in sync",
  help:
    "usage: lab check [--json]\n\nChecks the hosts of stacks/Pulumi.lab.yaml and every other host the lab booted (up --config-file).\n" +
    "Exits 1 when a host is down or unhealthy; failed units of a degraded host are listed.",
  async run(args) {
    const values = options(args, { json: { type: "boolean" } });
    if (values.help) return help(check);
    const results = await labCheck();
    if (values.json) say(JSON.stringify(results, null, 2));
    else {
      for (const h of results) {
        const clock = h.clockOffsetSeconds === undefined ? "" : `, clock ${h.clockOffsetSeconds >= 0 ? "+" : ""}${h.clockOffsetSeconds.toFixed(2)} s`;
        const state = h.systemState ? `systemd ${h.systemState}` : "";
        say(`${h.name} (${h.address}): ${h.problems.length === 0 ? "ok" : "NOT OK"}${state ? `, ${state}` : ""}${clock}`);
        for (const unit of h.failedUnits) say(`  failed unit: ${unit}`);
        for (const p of h.problems) say(`  problem: ${p}`);
      }
    }
    return results.every((h) => h.problems.length === 0) ? 0 : 1;
  },
};

const apply: Verb = {
  summary: "run the lab stack's own commands on the lab hosts, in the order pulumi up would",
  help: [
    "usage: lab apply [--config-file FILE] [--forget-state] [--pulumi]",
    "",
    "Evaluates the program for stack 'lab' under Pulumi's mock runtime; every remote command runs for real over",
    "SSH on its lab host (host key pinned). Resources whose inputs did not change since the last apply are left",
    "alone (the lab keeps its own state in .lab/state/); resources gone from the program run their delete command.",
    "",
    "  --config-file FILE  read the stack's configuration from FILE instead of stacks/Pulumi.lab.yaml",
    "  --forget-state      run every command again, as a first 'pulumi up' on configured hosts would",
    "  --pulumi            run 'pulumi up -s lab' instead (needs the Pulumi CLI on PATH)",
  ].join("\n"),
  async run(args) {
    const o = options(args, { "config-file": { type: "string" }, "forget-state": { type: "boolean" }, pulumi: { type: "boolean" } });
    if (o.help) return help(apply);
    requireRoot("apply");
    if (o.pulumi) return pulumiUp(typeof o["config-file"] === "string" ? o["config-file"] : undefined);
    const configFile = typeof o["config-file"] === "string" ? o["config-file"] : undefined;
    const down = await labHostsNotUp(configFile);
    if (down.length > 0) {
      throw new Error(`not up: ${down.join(", ")}; run 'npm run lab -- up${configFile !== undefined ? ` --config-file ${configFile}` : ""}' first`);
    }
    const summary = await labApply({
      projectRoot: projectRoot(),
      stack: "lab",
      privateKeyPath: labSshKeyPath(),
      statePath: labStatePath(),
      configFile,
      forgetState: o["forget-state"] === true,
      log: say,
    });
    // The packages the hosts downloaded, for the next host made anew (a failed apply's too).
    const kept = harvestAllHosts(hostsDir(), aptArchiveDir());
    if (kept > 0) say(`${kept} downloaded packages kept in the machine's pool`);
    return summary.ok ? 0 : 1;
  },
};

/** `pulumi up -s lab` against the same lab, for admins who have the CLI. */
function pulumiUp(configFile: string | undefined): number {
  if (spawnSync("sh", ["-c", "command -v pulumi"]).status !== 0) {
    throw new Error("--pulumi needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/); without it, 'lab apply' runs the same program itself");
  }
  const args = ["up", "-s", "lab", "--yes", ...(configFile ? ["--config-file", configFile] : [])];
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "" };
  const r = spawnSync("pulumi", args, { cwd: projectRoot(), stdio: "inherit", env });
  return r.status ?? 1;
}

/** No verb: the whole system on this machine, i.e. `up` then `apply`. */
const all: Verb = {
  summary: "up, then apply: the whole system on this machine (what 'npm run lab' does)",
  help: "usage: lab all\n\nBrings the lab hosts up (a no-op when they run) and applies the lab stack to them.",
  async run(args) {
    if (args.includes("--help") || args.includes("-h")) return help(all);
    const upStatus = await up.run([]);
    return upStatus === 0 ? apply.run([]) : upStatus;
  },
};

export const VERBS: Readonly<Record<string, Verb>> = { all, up, apply, check, status, ssh, restart, down };

function help(verb: Verb, exitCode = 0): number {
  (exitCode === 0 ? process.stdout : process.stderr).write(`${verb.help}\n`);
  return exitCode;
}

export function overview(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return ["usage: npm run lab -- <verb> [arguments]   (<verb> --help for more)", "", ...lines].join("\n");
}

/** Run the CLI with its arguments (without node and the script); resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return all.run([]);
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${overview()}\n`);
    return 0;
  }
  const verb = VERBS[name];
  if (verb === undefined) {
    process.stderr.write(`unknown verb '${name}'\n${overview()}\n`);
    return 2;
  }
  try {
    return await verb.run(rest);
  } catch (err) {
    process.stderr.write(`lab ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
