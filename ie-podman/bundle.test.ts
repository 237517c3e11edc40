/**
 * The bundle the component installs: one file that node runs with nothing else around it (copied to an
 * empty directory), started through the entry script as on a host, answering --help for every verb and
 * refusing before touching anything when the host has no configuration. The attacker's words, in every
 * position of every verb, reach neither node nor anything else as code.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderEntryScript } from "../components/containers/render";
import { ieProgramBundle } from "./bundle";
import { HELP } from "./help";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-bundle-"));
const file = path.join(dir, "ie-podman.cjs");
const entry = path.join(dir, "ie-podman");
fs.writeFileSync(file, ieProgramBundle(), { mode: 0o644 });
fs.writeFileSync(entry, renderEntryScript({ self: entry, node: process.execPath, program: file }), { mode: 0o755 });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const pwned = path.join(dir, "pwned");
const payload = path.join(dir, "payload.js");
const envFile = path.join(dir, "attack.env");
fs.writeFileSync(payload, `require("fs").writeFileSync(${JSON.stringify(pwned)}, "")\n`);
fs.writeFileSync(envFile, `NODE_OPTIONS=--require ${payload}\n`);
const run = (...args: string[]) => {
  if (process.getuid?.() !== 0) throw new Error("the bundle runs through its entry as root, as sudo runs it: run the unit tests as root (CI does)");
  return spawnSync(entry, args, { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, NODE_OPTIONS: `--require ${payload}` } });
};

describe("the ie-podman bundle", () => {
  it("has no shebang (only the entry starts it) and is the same text every time (no drift from a rebuild)", () => {
    expect(ieProgramBundle().startsWith("#!")).toBe(false);
    expect(fs.readFileSync(file, "utf8")).toBe(ieProgramBundle());
  });

  it("lists every verb and answers --help for each", () => {
    const overview = run("--help");
    expect(overview.status).toBe(0);
    for (const verb of Object.keys(HELP)) {
      expect(overview.stdout).toContain(`  ${verb} `);
      const help = run(verb, "--help");
      expect(help.status, verb).toBe(0);
      expect(help.stdout).toContain(`usage: ${HELP[verb].usage}`);
    }
  });

  it("refuses an unknown verb with status 2", () => {
    const r = run("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown verb 'frobnicate'");
  });

  // The option node 20 acts on among a script's words (the entry tests try the whole family).
  it("runs nothing named by --env-file, wherever it stands among any verb's words", () => {
    const vector = `--env-file=${envFile}`;
    const positions = (verb: string) => [
      [vector, verb],
      [verb, vector],
      [verb, "--name", vector],
      [verb, vector, "base"],
      [verb, "base", "echo", vector],
      [verb, "--", vector],
      [verb, "--help", vector],
    ];
    for (const verb of [...Object.keys(HELP), "frobnicate"]) {
      for (const words of positions(verb)) {
        const r = run(...words);
        // Every verb refuses or fails on this machine (no host configuration), but help, which ignores the rest.
        if (words[1] !== "--help") expect(r.status, words.join(" ")).not.toBe(0);
        expect(fs.existsSync(pwned), `ran the payload: ie-podman ${words.join(" ")}`).toBe(false);
      }
    }
  });
});
