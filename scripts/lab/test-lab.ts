/**
 * `npm run test:lab`: the whole proof on real hosts, phase by phase, with the wall time of each:
 *   up -> apply -> lab tests (vitest project `lab`, which also runs the second apply)
 *   -> the refresh rehearsal (lab4 joins, lab3 drains and leaves: it changes the lab's shape, so it comes
 *   after the lab tests) -> killed run (every lab process SIGKILLed: bridge, nft table, cgroups and mounts
 *   stay) -> up copes, making the stack's hosts anew -> check -> down -> status shows nothing of the lab left.
 * The killed run comes last because the hosts `up` makes after it are new: testing on them would need a
 * second full apply first.
 * `down` runs whatever happened before it, so a failed run leaves no lab behind. Needs root.
 * Options: --keep (leave the lab up after the tests, for debugging), and any further arguments are passed to
 * vitest (e.g. a test file filter).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { killLabProcesses } from "./cgroups";
import { labStatus } from "./lab";

const root = resolve(__dirname, "..", "..");
const tsx = resolve(root, "node_modules", ".bin", "tsx");
const vitest = resolve(root, "node_modules", ".bin", "vitest");

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly ok: boolean;
}

function run(name: string, cmd: string, args: readonly string[], phases: Phase[]): boolean {
  console.log(`\n=== ${name}: ${[cmd.replace(root + "/", ""), ...args].join(" ")}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, IE_LAB_TEST: "1" } });
  const ok = r.status === 0;
  const seconds = (Date.now() - started) / 1000;
  phases.push({ name, seconds, ok });
  console.log(`=== ${name}: ${ok ? "ok" : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds.toFixed(1)}s`);
  return ok;
}

/** A phase run in this process: `work` returns whether it passed and says why not. */
async function step(name: string, work: () => Promise<string | undefined>, phases: Phase[]): Promise<boolean> {
  console.log(`\n=== ${name}`);
  const started = Date.now();
  let problem: string | undefined;
  try {
    problem = await work();
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const seconds = (Date.now() - started) / 1000;
  phases.push({ name, seconds, ok: problem === undefined });
  console.log(`=== ${name}: ${problem === undefined ? "ok" : `FAILED: ${problem}`} in ${seconds.toFixed(1)}s`);
  return problem === undefined;
}

/** What a killed lab leaves: the hosts' processes die at once, the kernel keeps bridge, nft table, cgroups, mounts. */
async function killEveryLabProcess(): Promise<string | undefined> {
  const killed = killLabProcesses(undefined);
  const after = await labStatus();
  console.log(`killed ${killed.length} processes; left in the kernel: bridge ${after.leftovers.bridge}, nft table ${after.leftovers.nftTable}, ${after.leftovers.cgroups.length} cgroups, ${after.leftovers.mounts.length} mounts`);
  if (killed.length === 0) return "no lab process was running to kill";
  if (after.hosts.some((h) => h.running)) return "a host still runs after SIGKILL of every lab process";
  return after.leftovers.bridge && after.leftovers.nftTable ? undefined : "the killed lab left no bridge or nft table: nothing to prove up copes with";
}

/** `status` after `down`: nothing of the lab may be left on this machine. */
async function nothingLeft(): Promise<string | undefined> {
  const s = await labStatus();
  console.log(JSON.stringify(s.leftovers));
  return s.clean ? undefined : `the lab left traces behind: ${JSON.stringify(s.leftovers)}`;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error("npm run test:lab needs root: the lab creates network bridges, nft tables, cgroups and nspawn hosts.");
    return 1;
  }
  const argv = process.argv.slice(2);
  const keep = argv.includes("--keep");
  const vitestArgs = argv.filter((a) => a !== "--keep");
  const lab = resolve(root, "scripts", "lab", "cli.ts");
  const phases: Phase[] = [];
  let ok = false;
  try {
    ok =
      run("up", tsx, [lab, "up"], phases) &&
      run("apply", tsx, [lab, "apply"], phases) &&
      run("lab tests", vitest, ["run", "--project", "lab", ...vitestArgs], phases) &&
      run("refresh rehearsal", vitest, ["run", "--project", "rehearsal", ...vitestArgs], phases) &&
      (await step("killed run", killEveryLabProcess, phases)) &&
      run("up after kill", tsx, [lab, "up"], phases) &&
      run("check", tsx, [lab, "check"], phases);
  } finally {
    if (!keep) {
      run("down", tsx, [lab, "down"], phases);
      await step("nothing left", nothingLeft, phases);
    }
  }
  console.log("\nphase            seconds  result");
  for (const p of phases) console.log(`${p.name.padEnd(16)} ${p.seconds.toFixed(1).padStart(7)}  ${p.ok ? "ok" : "FAILED"}`);
  const total = phases.reduce((s, p) => s + p.seconds, 0);
  console.log(`${"total".padEnd(16)} ${total.toFixed(1).padStart(7)}`);
  return ok && phases.every((p) => p.ok) ? 0 : 1;
}

void main().then((code) => process.exit(code));
