/** `npm run validate` as admins and CI run it: a real process, its output and its exit status. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const TESTDATA = "components/inventory/testdata";

function validate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("npx", ["tsx", "scripts/validate.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("validate CLI", () => {
  it("exits 1 and prints both errors with their lines for a duplicated host and an even mon count", () => {
    const file = `${TESTDATA}/bad/09-duplicate-host-and-even-mons.yaml`;
    const { status, stdout, stderr } = validate(file);
    expect(status).toBe(1);
    expect(stdout.split("\n")).toEqual([
      `${file}:11:13: error: hosts[3].name: host name 's1' is already used by hosts[0]: host names must be unique`,
      `${file}:14:7: error: hosts[3].roles: 4 hosts carry ceph-mon (s1, s2, s3 and s1): mons need an odd number to keep a majority quorum; add or remove one`,
      `${file}: 2 errors, 0 warnings`,
      "",
    ]);
    expect(stderr).not.toMatch(/\bat .+\.ts:\d+/); // no stack trace
  });

  it("exits 0 when there are only warnings, with one summary line per file", () => {
    const valid = `${TESTDATA}/valid-minimal.yaml`;
    const warned = `${TESTDATA}/bad/40-warnings-only.yaml`;
    const { status, stdout } = validate(valid, warned);
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.filter((l) => l.includes(": warning: "))).toHaveLength(2);
    expect(lines.slice(-2)).toEqual([`${valid}: ok`, `${warned}: 0 errors, 2 warnings`]);
  });

  it("exits 2 with a clear message for a file that does not exist", () => {
    const { status, stdout, stderr } = validate("stacks/Pulumi.nope.yaml");
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("validate: stacks/Pulumi.nope.yaml: no such file");
  });

  it("prints its usage for --help and refuses unknown options", () => {
    const help = validate("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: npm run validate [-- FILE...]");
    const bad = validate("--strict");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--strict'");
  });
});
