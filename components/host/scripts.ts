/**
 * The scripts under `scripts/` that components run on hosts, read from the project once per process.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The project's root directory (the one holding Pulumi.yaml), found from this file's place in it: two levels
 * up, from components/host/ and from the compiled provider in dist/providers/ alike.
 */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

const SCRIPTS_DIR = path.join(PROJECT_ROOT, "scripts");
const cache = new Map<string, string>();

/** Text of `scripts/<relPath>`, e.g. `readScript("host/base.sh")`. Paths leaving scripts/ are refused. */
export function readScript(relPath: string): string {
  const cached = cache.get(relPath);
  if (cached !== undefined) return cached;
  const full = path.resolve(SCRIPTS_DIR, relPath);
  if (path.isAbsolute(relPath) || !full.startsWith(SCRIPTS_DIR + path.sep)) {
    throw new Error(`script path '${relPath}' must be relative to scripts/ and stay inside it`);
  }
  const text = fs.readFileSync(full, "utf8");
  cache.set(relPath, text);
  return text;
}
