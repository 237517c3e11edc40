/**
 * The entry script and the program's start check, run for real (as root, as sudo runs them) against this
 * machine's node, which reads `--env-file` from a script's own arguments as Debian 13's does, and against
 * Debian 12's nodejs package. The control case shows the attack works on a plain `node PROGRAM WORDS`; the
 * entry must hand every word over intact and let none of them reach node.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEntryScript } from "../components/containers/render";
import { type NodeRuntime, nodeRuntimes } from "../test/support/node-runtimes";
import { decodeArgvFrame, startProblem } from "./entry";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-entry-"));
const pwned = path.join(dir, "pwned");
const payload = path.join(dir, "payload.js");
const envFile = path.join(dir, "attack.env");
let runtimes: NodeRuntime[] = [];

/** A program with ie-podman's start check that prints the words it was handed, as JSON. */
function echoProgram(): string {
  const file = path.join(dir, "echo.cjs");
  const out = buildSync({
    stdin: {
      contents: `import { readEntryArgv, startProblem } from "./entry";
const problem = startProblem({ argv: process.argv, execArgv: process.execArgv, env: process.env });
if (problem !== undefined) { process.stderr.write("refusing to run: " + problem + "\\n"); process.exit(2); }
process.stdout.write(JSON.stringify({ words: readEntryArgv(), env: Object.keys(process.env).sort() }));`,
      resolveDir: __dirname,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    target: "node18",
    format: "cjs",
    write: false,
  });
  fs.writeFileSync(file, out.outputFiles[0].text, { mode: 0o644 });
  return file;
}

function entryFor(runtime: NodeRuntime, program: string): string {
  const file = path.join(dir, `entry-${runtimes.indexOf(runtime)}`);
  fs.writeFileSync(file, renderEntryScript({ self: file, node: runtime.binary, program }), { mode: 0o755 });
  return file;
}

/** The words an attacker would hand over, in every shape the runtime's option parser knows. */
const VECTORS = [
  `--env-file=${envFile}`,
  `--env-file-if-exists=${envFile}`,
  "--env-file",
  envFile,
  `--require=${payload}`,
  `--import=${payload}`,
  "--inspect=127.0.0.1:0",
  "--experimental-loader=" + payload,
  "--experimental-default-type=module",
  "--",
];

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the entry tests run the entry as root, as sudo does: run the unit tests as root (CI does)");
  fs.writeFileSync(payload, `require("fs").writeFileSync(${JSON.stringify(pwned)}, String(process.getuid()));\n`);
  fs.writeFileSync(envFile, `NODE_OPTIONS=--require ${payload}\n`);
  runtimes = nodeRuntimes();
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the argument frame and the start check", () => {
  it("decodes NUL-terminated words, empty ones included", () => {
    expect(decodeArgvFrame(Buffer.from("run\0\0a b\0"))).toEqual(["run", "", "a b"]);
    expect(decodeArgvFrame(Buffer.alloc(0))).toEqual([]);
    expect(() => decodeArgvFrame(Buffer.from("run\0cut"))).toThrow(/cut short/);
  });

  it.each([
    ["node options", { argv: ["node", "p"], execArgv: ["--require=x"], env: {} }, /node options/],
    ["words on node's command line", { argv: ["node", "p", "ps"], execArgv: [], env: {} }, /1 words/],
    ["NODE_OPTIONS", { argv: ["node", "p"], execArgv: [], env: { PATH: "/bin", NODE_OPTIONS: "--require x" } }, /NODE_OPTIONS/],
    ["another variable", { argv: ["node", "p"], execArgv: [], env: { LD_PRELOAD: "/x.so" } }, /LD_PRELOAD/],
  ])("refuses a start with %s", (_what, facts, reason) => {
    expect(startProblem(facts)).toMatch(reason);
  });

  it("accepts exactly what the entry passes", () => {
    expect(startProblem({ argv: ["node", "p"], execArgv: [], env: { PATH: "/bin", LANG: "C.UTF-8", TERM: "xterm", SUDO_UID: "2001", SUDO_GID: "2001", SUDO_USER: "alice" } })).toBeUndefined();
  });
});

describe("the entry script, run for real", () => {
  it("passes shellcheck", () => {
    const file = path.join(dir, "syntax");
    fs.writeFileSync(file, renderEntryScript());
    const r = spawnSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("control: this machine's node runs code named by --env-file among a script's own words", () => {
    const program = echoProgram();
    fs.rmSync(pwned, { force: true });
    spawnSync(process.execPath, [program, "ps", `--env-file=${envFile}`], { encoding: "utf8" });
    expect(fs.existsSync(pwned), "the attack the entry closes must be real on this node").toBe(true);
    fs.rmSync(pwned, { force: true });
  });

  it.each([
    [0, "this machine's node (20.x, reads --env-file among a script's words)"],
    [1, "Debian 12's nodejs (18.x)"],
  ])("hands every word over intact and lets none reach the runtime: %i, %s", (index) => {
    const runtime = runtimes[index];
    const program = echoProgram();
    const entry = entryFor(runtime, program);
    const words = ["run", "", "a b", "line\nbreak", "ünïcode", "-", "$(id)", ...VECTORS, "ps", ...VECTORS];
    fs.rmSync(pwned, { force: true });
    const r = spawnSync(entry, words, {
      encoding: "utf8",
      env: { PATH: process.env.PATH, TERM: "xterm", NODE_OPTIONS: `--require ${payload}`, SUDO_UID: "2001", SUDO_GID: "2001", SUDO_USER: "alice", LD_PRELOAD: "" },
    });
    expect(r.stderr, runtime.name).toBe("");
    expect(r.status, runtime.name).toBe(0);
    const out = JSON.parse(r.stdout) as { words: string[]; env: string[] };
    expect(out.words).toEqual(words);
    expect(out.env).toEqual(["LANG", "PATH", "SUDO_GID", "SUDO_UID", "SUDO_USER", "TERM"]);
    expect(fs.existsSync(pwned), `${runtime.name} ${runtime.version} ran the payload`).toBe(false);
  });

  it("passes no words at all as an empty list, and a hostile TERM as 'dumb'", () => {
    const entry = entryFor(runtimes[0], echoProgram());
    const r = spawnSync(entry, [], { encoding: "utf8", env: { PATH: process.env.PATH, TERM: "x --env-file=/etc" } });
    expect(JSON.parse(r.stdout)).toEqual({ words: [], env: ["LANG", "PATH", "TERM"] });
  });

  it("the program refuses to start any other way: words on node's line, node options, NODE_* variables", () => {
    const program = echoProgram();
    const direct = (args: string[], env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin" }) => spawnSync(process.execPath, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
    for (const r of [direct([program, "ps"]), direct(["--no-warnings", program]), direct([program], { PATH: "/usr/bin:/bin", NODE_DEBUG: "fs" })]) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^refusing to run: /);
    }
  });
});
