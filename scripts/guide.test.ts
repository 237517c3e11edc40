/** `npm run guide` as admins run it: a real process, what it writes, its errors and exit statuses. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "guide-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function guide(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("npx", ["tsx", "scripts/guide.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("guide CLI", () => {
  it("writes the production stack's guide in Japanese and English", () => {
    const out = path.join(dir, "ie");
    const r = guide("ie", "--out", out);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["en", "ja"]);
    for (const lang of ["ja", "en"]) expect(readdirSync(path.join(out, lang)).sort()).toEqual(["guide.md", "index.html"]);
    expect(readFileSync(path.join(out, "ja", "guide.md"), "utf8")).toMatch(/^# 学科計算機の使い方\n/);
  });

  it.each([
    [["nope", "--out", path.join(dir, "a")], /stacks\/Pulumi\.nope\.yaml: no such stack file; known stacks: ie, lab/],
    [["--out", path.join(dir, "b")], /guide: name one stack/],
    [["ie", "lab", "--out", path.join(dir, "c")], /one stack only/],
    [["ie", "--colour", "--out", path.join(dir, "d")], /Unknown option '--colour'/],
    [["../etc", "--out", path.join(dir, "e")], /is not a stack name/],
  ])("refuses %j with status 2, writing nothing", (args, message) => {
    const r = guide(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(args[args.length - 1])).toBe(false);
  });

  it("refuses an --out that is a file", () => {
    const file = path.join(dir, "a-file");
    writeFileSync(file, "x");
    const r = guide("lab", "--out", file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--out ${file} is not a directory`);
  });

  it("prints the stack's errors with file, line and field, exits 1 and writes nothing", () => {
    const bad = "components/inventory/testdata/bad/09-duplicate-host-and-even-mons.yaml";
    const out = path.join(dir, "bad");
    const r = guide(bad, "--out", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:11:13: error: hosts[3].name: host name 's1' is already used`);
    expect(r.stderr).toMatch(/nothing written/);
    expect(existsSync(out)).toBe(false);
  });
});
