/**
 * The bundle the component installs: one file that node runs with nothing else around it (copied to an
 * empty directory), answering --help for every verb and refusing before touching anything when the host
 * has no configuration.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ieProgramBundle } from "./bundle";
import { HELP } from "./help";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-bundle-"));
const file = path.join(dir, "ie-podman");
fs.writeFileSync(file, ieProgramBundle(), { mode: 0o755 });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [file, ...args], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH } });

describe("the ie-podman bundle", () => {
  it("starts with node's shebang and is the same text every time (no drift from a rebuild)", () => {
    expect(ieProgramBundle().startsWith("#!/usr/bin/node\n")).toBe(true);
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
});
