/**
 * What the lab tests need to reach the lab hosts: run a command as root or as an ordinary user over SSH with
 * the lab's key and pinned known_hosts, and wait (bounded) for a condition. The lab must be up and applied
 * (`npm run test:lab` does both before running these tests).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument, type Document } from "yaml";
import { labHosts, labSshArgs, labSshKeyPath, projectRoot as labProjectRoot } from "../../scripts/lab/lab";
import { labSshOptions } from "../../scripts/lab/ssh";

export const projectRoot = labProjectRoot();

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Single-quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lab host's address: this machine does not resolve the lab's names. */
function addressOf(host: string): string {
  const found = labHosts().find((h) => h.name === host);
  if (found === undefined) throw new Error(`no lab host ${host} in stacks/Pulumi.lab.yaml`);
  return found.address;
}

/**
 * What ssh prints when the connection failed before any command ran (refused, dropped before login): the
 * command never started, so trying again cannot run it twice. A drop after login reads differently
 * ("Connection to HOST closed by remote host").
 */
const NOT_STARTED = /^(ssh: connect to host \S+ port \d+: .*|kex_exchange_identification: .*|Connection (closed|reset) by \S+ port \d+)\r?$/m;

/**
 * Runs `script` with bash on `host` as root, `stdin` fed to it, with the lab's own key and pinned host keys
 * (the same ssh options as `npm run lab -- ssh`). Never throws on a non-zero exit. A connection that failed
 * before the command started is tried up to twice more (a loaded lab host's sshd may drop one), and says so.
 */
export function onHost(host: string, script: string, stdin?: string): Run {
  if (!existsSync(labSshKeyPath())) throw new Error(`no lab key at ${labSshKeyPath()}: run 'npm run lab -- up' first`);
  const args = labSshArgs(addressOf(host), [`bash -c ${shellQuote(`set -euo pipefail\n${script}`)}`], true, 10);
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync("ssh", args, { input: stdin ?? "", encoding: "utf8", timeout: 300_000 });
    const run = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    if (run.code !== 255 || run.stdout !== "" || !NOT_STARTED.test(run.stderr) || attempt === 3) return run;
    console.log(`ssh to ${host} failed before the command started (${run.stderr.trim()}): trying again`);
    spawnSync("sleep", [String(attempt)]);
  }
}

/**
 * Runs `command` in a rental VM as `user` with the private key `keyFile`, over SSH through the VM host (the
 * VM network is reached from there, as an admin reaches it): `ssh -J root@VMHOST user@IP`. The guest's host
 * key is checked against `knownHosts` (added there on first contact unless `strict`). Never throws on a
 * non-zero exit. `sshOptions` go before the destination (e.g. to try a password login).
 */
export function inGuest(guest: { readonly vmHost: string; readonly ip: string; readonly knownHosts: string }, user: string, keyFile: string, command: string, options: { readonly strict?: boolean; readonly sshOptions?: readonly string[] } = {}): Run {
  const jump = ["ssh", ...labSshOptions(10), "-o", "BatchMode=yes", "-W", "%h:%p", `root@${addressOf(guest.vmHost)}`];
  const args = [
    "-F", "/dev/null",
    "-i", keyFile,
    "-o", "IdentitiesOnly=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=20",
    "-o", `UserKnownHostsFile=${guest.knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `StrictHostKeyChecking=${options.strict === true ? "yes" : "accept-new"}`,
    "-o", `ProxyCommand=${jump.map(shellQuote).join(" ")}`,
    ...(options.sshOptions ?? []),
    `${user}@${guest.ip}`,
    "--",
    command,
  ];
  const r = spawnSync("ssh", args, { encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs `script` on `host` as the ordinary user `user` (a login shell in their home), through runuser. */
export function asUser(host: string, user: string, script: string, stdin?: string): Run {
  return onHost(host, `cd ~${user} && runuser -u ${user} -- bash -lc ${shellQuote(script)}`, stdin);
}

/**
 * `localhost/base` on a container host: no registry is reachable, so it is made there from busybox (static)
 * and imported by root. It has the applets the tests use, memory eaters (head, tr) included.
 */
export function ensureBaseImage(host: string): void {
  must(
    onHost(
      host,
      `podman image exists localhost/base:latest && exit 0
DEBIAN_FRONTEND=noninteractive apt-get -q -y install busybox-static >/dev/null
root=$(mktemp -d)
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
cp /bin/busybox "$root/bin/"
for c in sh ls cat id echo ip sleep env true test grep touch head tr; do ln -s busybox "$root/bin/$c"; done
tar -C "$root" -c . | podman import --change 'CMD ["/bin/echo","hello from base"]' - localhost/base:latest >/dev/null
rm -rf "$root"`,
    ),
    "make the base image",
  );
}

/** How many containers Podman has on `host`, anyone's. */
/**
 * A container command that lasts (10 min) and ends on SIGTERM, so a stop is quick. The lab's hosts have the
 * machine's cgroup v1, where all of a host's containers share one cgroup (but for name=systemd): when one
 * container stops, the runtime's clean-up of "its" cgroup kills every running container of that host. Tests
 * that need two containers running never stop one of them in between.
 */
export const LASTING = "sh -c 'trap \"exit 0\" TERM; sleep 600 & wait'";

export function containerCount(host: string): number {
  return Number(must(onHost(host, "PODMAN_IGNORE_CGROUPSV1_WARNING=1 podman ps -aq | wc -l"), "count containers").trim());
}

/** Removes every container `user` has on `host`, through ie-podman as that user. */
export function removeContainersOf(host: string, user: string): void {
  must(asUser(host, user, "ids=$(ie-podman ps -a --json | grep -o '\"id\": \"[0-9a-f]*' | cut -d'\"' -f4); [ -z \"$ids\" ] || ie-podman rm -f -t 0 -- $ids >/dev/null"), `${user} rm all`);
}

/** Like onHost, but throws with the output when the command fails. */
export function must(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** Polls `probe` every `intervalMs` until it returns a value, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The daemons of the lab's Slurm cluster, per host. */
export const hostUnits: Readonly<Record<string, readonly string[]>> = {
  lab1: ["munge", "slurmctld"],
  lab2: ["munge", "slurmd"],
  lab3: ["munge", "slurmd"],
};
const managedFiles = ["/etc/slurm/slurm.conf", "/etc/slurm/cgroup.conf", "/etc/munge/munge.key"];

/** Per host: each daemon's PID, activation time and restart count, each managed file's mtime and checksum. */
export function snapshot(): Record<string, string> {
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

/**
 * `npm run lab -- ARGS` (the lab's CLI, with the project's tsx): its status, output and wall seconds. With `show`,
 * its output goes to stderr as it comes (progress), and is not kept.
 */
export function labCli(args: readonly string[], options: { readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string>>; readonly show?: boolean } = {}): Run & { readonly seconds: number } {
  const started = Date.now();
  const r = spawnSync(join(projectRoot, "node_modules", ".bin", "tsx"), ["scripts/lab/cli.ts", ...args], {
    cwd: projectRoot,
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.show === true ? { stdio: ["ignore", process.stderr, process.stderr] } : {}),
  });
  const failure = r.error !== undefined ? `: ${r.error.message}` : r.signal !== null ? ` (signal ${r.signal})` : "";
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${failure}`, seconds: (Date.now() - started) / 1000 };
}

/**
 * A shell line that runs `script` and prints when it started and ended (`date +%s.%N`): timed where it runs, so
 * SSH's own time is not in it. The script's output is dropped, but kept for the error when it fails (its last
 * 15 lines on stderr, and its exit status).
 */
export function timingLine(script: string): string {
  return `s=$(date +%s.%N); out=$( { ${script} ; } 2>&1 ) || { rc=$?; printf '%s\\n' "$out" | tail -n 15 >&2; exit $rc; }; e=$(date +%s.%N); echo "$s $e"`;
}

/** The seconds a `timingLine` measured, from its output's last line. */
export function timingSeconds(output: string): number {
  const [start, end] = (output.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`no start and end time in '${output.trim()}'`);
  return end - start;
}

/** Runs `npm run lab -- apply ARGS` and returns its output; throws with the output when it fails. */
export function apply(...args: string[]): string {
  const r = labCli(["apply", ...args], { timeoutMs: 900_000 });
  console.log(`apply ${args.join(" ")}:\n${r.stdout.split("\n").slice(-25).join("\n")}`);
  if (r.code !== 0) throw new Error(`apply ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The counts of the apply's summary line (`done in 0.3s: 0 create, 30 same, ...`). */
export function summaryCounts(output: string): Record<string, number> {
  const line = output.split("\n").find((l) => /^done in /.test(l));
  if (!line) throw new Error(`no summary line in apply output:\n${output}`);
  return Object.fromEntries([...line.matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
}

/** A copy of the lab stack changed by `edit`, under .lab/stacks/<label>/, for `apply --config-file`. */
export function changedLabStack(label: string, edit: (doc: Document) => void): string {
  const doc = parseDocument(readFileSync(join(projectRoot, "stacks", "Pulumi.lab.yaml"), "utf8"));
  edit(doc);
  return writeLabStack(label, doc.toString());
}

/** `text` as the stack file .lab/stacks/<label>/Pulumi.lab.yaml (git-ignored), for `apply --config-file`. */
export function writeLabStack(label: string, text: string): string {
  const dir = join(projectRoot, ".lab", "stacks", label);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "Pulumi.lab.yaml");
  writeFileSync(file, text);
  return file;
}

/** Runs `npm run drift -- lab ARGS`: its exit status and output. */
export function drift(...args: string[]): Run {
  const r = spawnSync(join(projectRoot, "node_modules", ".bin", "tsx"), ["scripts/drift.ts", "lab", ...args], { cwd: projectRoot, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** `npm run lab -- restart HOST`: a clean halt and a boot of the same root file system. Returns its output. */
export function restartLabHost(host: string): string {
  const r = labCli(["restart", host], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`lab restart ${host} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}
