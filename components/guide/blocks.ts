/**
 * Runnable blocks: how the guide marks a fenced block as a test, and how a test reads it back. Pure.
 *
 * A fenced block's info string is the language, then optionally attributes in braces (the convention of
 * Pandoc and of Markdown test runners; Markdown renderers take only the first word as the language, so
 * readers never see the braces):
 *
 *   ```sh {run on=container-host expect=address}      commands a student types, run as the test user
 *   ```sh {file=job/job.sh on=slurm-controller}       a file the student writes at ~/PATH on that host
 *
 * - `run`: a login shell of the test user in their home runs the block's lines with bash.
 * - `on`: which host: a role (`slurm-controller`, `container-host`), `home` (a host that mounts the CephFS
 *   home) or `login` (any host users log in to). The test takes the first such host of the stack.
 * - `expect`: `ok` (exit 0), `refused` (ie-podman's refusal: exit 2), `address` (exit 0 and prints an
 *   address of the container pool), `job` (sbatch: the job completes and writes `log`, a path under the
 *   home with `%j` for the job id).
 * - `prints="TEXT"`: the output (stdout and stderr; for `job`, the log) contains TEXT.
 * A block without braces is an illustration (placeholders such as JOBID) and is not run.
 */

export const HOST_SELECTORS = ["slurm-controller", "container-host", "home", "login"] as const;
export type HostSelector = (typeof HOST_SELECTORS)[number];

export const EXPECTATIONS = ["ok", "refused", "address", "job"] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

export type RunnableBlock =
  | {
      readonly kind: "run";
      readonly on: HostSelector;
      readonly expect: Expectation;
      readonly prints?: string;
      readonly log?: string;
      /** The block's lines, as the student types them. */
      readonly script: string;
    }
  | { readonly kind: "file"; readonly on: HostSelector; readonly path: string; readonly content: string };

/** A fenced block of a Markdown text: its info string and body. */
export interface FencedBlock {
  readonly info: string;
  readonly body: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** Every fenced block (``` fences) of a Markdown text, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split("\n");
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${start + 1}: a fenced block is not closed`);
    blocks.push({ info: open[1].trim(), body: body.join("\n"), line: start + 1 });
  }
  return blocks;
}

/** `key=value`, `key="value with spaces"` and bare flags of an attribute list. */
function attributes(text: string, where: string): Map<string, string | true> {
  const attrs = new Map<string, string | true>();
  const re = /\s*([a-z]+)(?:=(?:"([^"]*)"|([^\s"]+)))?/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null && m[0] !== "") {
    if (attrs.has(m[1])) throw new Error(`${where}: attribute ${m[1]} given twice`);
    attrs.set(m[1], m[2] ?? m[3] ?? true);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== "") throw new Error(`${where}: cannot read the attributes '${text.slice(end).trim()}'`);
  return attrs;
}

function oneOf<T extends string>(value: string | true | undefined, allowed: readonly T[], what: string, where: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new Error(`${where}: ${what} must be one of ${allowed.join(", ")}, got ${value === undefined ? "nothing" : String(value)}`);
  return found;
}

/** The block's test, or undefined for an illustration; throws, naming the line, for a malformed marker. */
export function parseRunnable(block: FencedBlock): RunnableBlock | undefined {
  const m = /^(\S*)\s*(?:\{(.*)\})?\s*$/.exec(block.info);
  const where = `guide line ${block.line}`;
  if (m === null) throw new Error(`${where}: cannot read the info string '${block.info}'`);
  if (m[2] === undefined) return undefined;
  const attrs = attributes(m[2], where);
  const known = new Set(["run", "file", "on", "expect", "prints", "log"]);
  for (const key of attrs.keys()) if (!known.has(key)) throw new Error(`${where}: unknown attribute ${key}`);
  const on = oneOf(attrs.get("on"), HOST_SELECTORS, "on", where);
  const file = attrs.get("file");
  if (typeof file === "string") {
    if (attrs.has("run") || attrs.has("expect")) throw new Error(`${where}: a file block is not run`);
    if (file.startsWith("/") || file.split("/").includes("..")) throw new Error(`${where}: file= is a path under the home`);
    return { kind: "file", on, path: file, content: `${block.body}\n` };
  }
  if (attrs.get("run") !== true) throw new Error(`${where}: attributes without run or file=PATH`);
  const expect = oneOf(attrs.get("expect"), EXPECTATIONS, "expect", where);
  const prints = attrs.get("prints");
  const log = attrs.get("log");
  if (expect === "job" && typeof log !== "string") throw new Error(`${where}: expect=job needs log=PATH (with %j)`);
  return {
    kind: "run",
    on,
    expect,
    ...(typeof prints === "string" ? { prints } : {}),
    ...(typeof log === "string" ? { log } : {}),
    script: block.body,
  };
}

/** Every runnable block of a guide, in the order a student meets them. */
export function runnableBlocks(markdown: string): RunnableBlock[] {
  return fencedBlocks(markdown).flatMap((b) => parseRunnable(b) ?? []);
}

/** The info string of a runnable block, as the renderers write it. */
export function runInfo(on: HostSelector, expect: Expectation, extra: { readonly prints?: string; readonly log?: string } = {}): string {
  const q = (v: string) => (/[\s"]/.test(v) ? `"${v}"` : v);
  return `sh {run on=${on} expect=${expect}${extra.prints !== undefined ? ` prints=${q(extra.prints)}` : ""}${extra.log !== undefined ? ` log=${extra.log}` : ""}}`;
}

export function fileInfo(on: HostSelector, path: string): string {
  return `sh {file=${path} on=${on}}`;
}

/**
 * The commands a runnable block names: the first word of each line and of each part after `|`, `&&`, `;`
 * or `$(`. The guide's unit test checks them against KNOWN_COMMANDS.
 */
export function commandsOf(script: string): string[] {
  const words: string[] = [];
  for (const line of script.split("\n")) {
    const text = line.replace(/#.*$/, "").trim();
    if (text === "") continue;
    for (const part of text.split(/\|\||&&|[|;]|\$\(/)) {
      // Leading variable assignments (NAME=VALUE cmd) are not the command.
      const word = part.trim().split(/\s+/).find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
      if (word !== undefined && word !== "") words.push(word.replace(/\)$/, ""));
    }
  }
  return words;
}

/** Every command the guide may tell a student to type in a runnable block. */
export const KNOWN_COMMANDS: ReadonlySet<string> = new Set([
  "ie-help",
  "ie-podman",
  "singularity",
  "sbatch",
  "squeue",
  "sinfo",
  "scancel",
  "df",
  "mkdir",
  "cat",
  "ls",
  "hostname",
]);
