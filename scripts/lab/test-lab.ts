/**
 * `npm run test:lab`: the whole proof on real hosts, phase by phase, with the wall time of each:
 *   up -> apply -> lab tests (vitest project `lab`, which also runs the second apply) -> down.
 * `down` runs whatever happened before it, so a failed run leaves no lab behind. Needs root.
 * Options: --keep (leave the lab up after the tests, for debugging), and any further arguments are passed to
 * vitest (e.g. a test file filter).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

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

function main(): number {
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
      run("lab tests", vitest, ["run", "--project", "lab", ...vitestArgs], phases);
  } finally {
    if (!keep) run("down", tsx, [lab, "down"], phases);
  }
  console.log("\nphase            seconds  result");
  for (const p of phases) console.log(`${p.name.padEnd(16)} ${p.seconds.toFixed(1).padStart(7)}  ${p.ok ? "ok" : "FAILED"}`);
  const total = phases.reduce((s, p) => s + p.seconds, 0);
  console.log(`${"total".padEnd(16)} ${total.toFixed(1).padStart(7)}`);
  return ok && phases.every((p) => p.ok) ? 0 : 1;
}

process.exit(main());
