/**
 * `npm run validate [-- FILE...]`: check stack definitions without Pulumi, for admins before `pulumi up` and for
 * CI. Prints every problem of every file as `FILE:LINE:COL: error|warning: field: message`, then the GPU mode of
 * each container host of a valid file (`FILE: HOST: GPUs from Slurm (...)`), then one summary line per file. Exit status: 0 without errors (warnings allowed), 1 with errors, 2 for bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { countDiagnostics, formatDiagnostic } from "../components/inventory/diagnostics";
import { containerGpuModes } from "../components/inventory/gpu-mode";
import { loadStackFile } from "../components/inventory/load";
import { count } from "../components/inventory/semantic-util";

/** The project root: `file:` host keys and the default stacks are relative to it, wherever this is run from. */
const PROJECT_ROOT = path.resolve(__dirname, "..");
const STACKS_DIR = path.join(PROJECT_ROOT, "stacks");

const USAGE = `usage: npm run validate [-- FILE...]

Validate stack definitions (stacks/Pulumi.<stack>.yaml): schema, cross-field rules, host key files.
Without FILE, every stacks/Pulumi.*.yaml is checked. A host key file that does not exist yet is a
warning here (the lab writes them on 'npm run lab -- up'); the Pulumi program treats it as an error.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 bad usage or a missing file.

  -h, --help   show this help
`;

function defaultStackFiles(): string[] {
  if (!fs.existsSync(STACKS_DIR)) return [];
  return fs
    .readdirSync(STACKS_DIR)
    .filter((name) => /^Pulumi\..+\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.relative(process.cwd(), path.join(STACKS_DIR, name)));
}

/** The command line, or the reason it is not one. */
function parseCommandLine(argv: readonly string[]): { readonly help: boolean; readonly files: string[] } | string {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { help: values.help === true, files: positionals };
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
}

function main(argv: readonly string[]): number {
  const parsed = parseCommandLine(argv);
  if (typeof parsed === "string") {
    process.stderr.write(`validate: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const files = parsed.files.length > 0 ? parsed.files : defaultStackFiles();
  if (files.length === 0) {
    process.stderr.write(
      `validate: no stack files given and none found in ${path.relative(process.cwd(), STACKS_DIR) || "."}\n`,
    );
    return 2;
  }
  const missing = files.filter((f) => !fs.existsSync(f) || !fs.statSync(f).isFile());
  if (missing.length > 0) {
    for (const f of missing) process.stderr.write(`validate: ${f}: no such file\n`);
    return 2;
  }
  let failed = false;
  const summaries: string[] = [];
  for (const file of files) {
    const { diagnostics, inventory } = loadStackFile(file, { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
    for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    // Who owns each container host's GPUs decides what `ie-podman run --gpu` does there: say it before an apply.
    for (const mode of inventory !== undefined ? containerGpuModes(inventory) : []) process.stdout.write(`${file}: ${mode}\n`);
    const { errors, warnings } = countDiagnostics(diagnostics);
    failed ||= errors > 0;
    summaries.push(
      errors === 0 && warnings === 0
        ? `${file}: ok`
        : `${file}: ${count(errors, "error")}, ${count(warnings, "warning")}`,
    );
  }
  process.stdout.write(`${summaries.join("\n")}\n`);
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
