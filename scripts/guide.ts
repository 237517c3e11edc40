/**
 * `npm run guide -- STACK [--out DIR]`: the users' guide of a stack (stacks/Pulumi.STACK.yaml, or a stack
 * file named by its path), in Japanese and English: per language `guide.md` (whose sections `ie-help` prints)
 * and `index.html` (offline, with a table of contents), below DIR (default dist/guide/STACK). The stack is validated first;
 * on any problem nothing is written. Exit status: 0 written, 1 the stack has errors, 2 bad usage or an
 * unknown stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostic } from "../components/inventory/diagnostics";
import { loadStackFile } from "../components/inventory/load";
import { GUIDE_DIR, guideFiles } from "../components/guide/render";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const STACKS_DIR = path.join(PROJECT_ROOT, "stacks");

const USAGE = `usage: npm run guide -- STACK [--out DIR]

Render the users' guide of stacks/Pulumi.STACK.yaml (or of a stack FILE.yaml) in Japanese and English (Markdown and offline HTML)
into DIR (default dist/guide/STACK). Nothing is written when the stack has errors.

  -o, --out DIR   where to write (created if missing)
  -h, --help      show this help
`;

function knownStacks(): string[] {
  if (!fs.existsSync(STACKS_DIR)) return [];
  return fs
    .readdirSync(STACKS_DIR)
    .flatMap((n) => /^Pulumi\.(.+)\.yaml$/.exec(n)?.[1] ?? [])
    .sort();
}

interface Request {
  readonly stack: string;
  readonly out: string;
}

/** The command line, `help`, or the reason it is not one. */
function parseCommandLine(argv: readonly string[]): Request | "help" | string {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { out: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
  if (parsed.values.help === true) return "help";
  if (parsed.positionals.length !== 1) return parsed.positionals.length === 0 ? "name one stack" : `one stack only, got ${parsed.positionals.join(" ")}`;
  const stack = parsed.positionals[0];
  const isFile = /\.ya?ml$/.test(stack);
  if (!isFile && !/^[A-Za-z0-9_.-]+$/.test(stack)) return `'${stack}' is not a stack name (the STACK of stacks/Pulumi.STACK.yaml) or a .yaml file`;
  const out = parsed.values.out;
  if (out !== undefined && out.trim() === "") return "--out needs a directory";
  const name = isFile ? path.basename(stack).replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "") : stack;
  return { stack, out: out ?? path.join("dist", "guide", name) };
}

function main(argv: readonly string[]): number {
  const request = parseCommandLine(argv);
  if (request === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof request === "string") {
    process.stderr.write(`guide: ${request}\n\n${USAGE}`);
    return 2;
  }
  const file = /\.ya?ml$/.test(request.stack) ? path.resolve(request.stack) : path.join(STACKS_DIR, `Pulumi.${request.stack}.yaml`);
  const shown = path.relative(process.cwd(), file);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    process.stderr.write(`guide: ${shown}: no such stack file; known stacks: ${knownStacks().join(", ") || "(none)"}\n`);
    return 2;
  }
  if (fs.existsSync(request.out) && !fs.statSync(request.out).isDirectory()) {
    process.stderr.write(`guide: --out ${request.out} is not a directory\n`);
    return 2;
  }
  // The guide needs no host key: a lab stack whose keys are not written yet still renders.
  const { inventory, diagnostics } = loadStackFile(shown, { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || inventory === undefined) {
    for (const d of errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
    process.stderr.write(`guide: ${shown} has ${errors.length} error(s); nothing written\n`);
    return 1;
  }
  const docs = guideFiles(inventory).filter((f) => f.kind === "doc");
  for (const doc of docs) {
    const target = path.join(request.out, path.relative(GUIDE_DIR, doc.path));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, doc.content);
  }
  process.stdout.write(`guide: ${docs.length} files for ${shown} in ${request.out} (open ${path.join(request.out, "ja", "index.html")} or ${path.join(request.out, "en", "index.html")})\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
