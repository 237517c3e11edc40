/**
 * Every shell script under scripts/ is data shipped to hosts: it must parse (`bash -n`), pass
 * `shellcheck -S warning`, and follow the house rules (bash via env, strict mode).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = __dirname;
const SCRIPTS = readdirSync(ROOT, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".sh"))
  .sort();

beforeAll(() => {
  const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      "shellcheck is not installed: apt-get install -y shellcheck (CI installs it before the tests, test/setup/prerequisites.ts)",
    );
  }
});

describe("shell scripts", () => {
  it("finds the scripts", () => {
    expect(SCRIPTS.length).toBeGreaterThan(0);
  });

  it.each(SCRIPTS)("%s parses with bash -n", (script) => {
    const result = spawnSync("bash", ["-n", join(ROOT, script)], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it.each(SCRIPTS)("%s passes shellcheck -S warning", (script) => {
    const result = spawnSync("shellcheck", ["-S", "warning", "-x", join(ROOT, script)], {
      encoding: "utf8",
      cwd: ROOT,
    });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it.each(SCRIPTS)("%s starts with #!/usr/bin/env bash and set -euo pipefail", (script) => {
    const text = readFileSync(join(ROOT, script), "utf8");
    expect(text.split("\n")[0]).toBe("#!/usr/bin/env bash");
    expect(text).toMatch(/^set -euo pipefail$/m);
  });
});
