/**
 * The users' guide rendered from the shipped stacks: every runnable block parses and names only commands the
 * guide knows, both languages carry the same tests, the batch file is built from the stack's partition and
 * GPU type, ie-podman's refusals are all there (one line per kind, each translated), and the HTML has a
 * table of contents and no test markers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REFUSED } from "../../ie-podman/policy";
import { loadStackText } from "../inventory/load";
import type { Inventory } from "../inventory/model";
import { KNOWN_COMMANDS, commandsOf, fencedBlocks, parseRunnable, runnableBlocks } from "./blocks";
import { DEFAULT_CONTACT, refusedClasses } from "./facts";
import { GUIDE_DIR, guideFiles, guideHosts, renderGuides } from "./render";
import { REFUSAL_JA } from "./sections-containers";

const ROOT = join(__dirname, "..", "..");

/** A shipped stack, its host and owner keys inline (the guide reads none; the lab's key files may not exist yet). */
function stack(name: string, edit: (text: string) => string = (t) => t): Inventory {
  const text = edit(readFileSync(join(ROOT, "stacks", `Pulumi.${name}.yaml`), "utf8")).replace(/(hostKey|sshKey): "?file:[^\s"]+"?/g, "$1: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMSFAS4fOyWfOPySdAyfsrINbO3AbiTCC4vfCkpCOnye");
  const { inventory, diagnostics } = loadStackText(text, `Pulumi.${name}.yaml`, { baseDir: ROOT });
  if (inventory === undefined) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return inventory;
}

const STACKS = ["ie", "lab"] as const;

describe.each(STACKS)("the guide of stack %s", (name) => {
  const inv = stack(name);
  const { guides } = renderGuides(inv);
  const [ja, en] = guides;

  it("is in Japanese and English", () => {
    expect(guides.map((g) => g.lang)).toEqual(["ja", "en"]);
    expect(ja.markdown).toMatch(/[ぁ-んァ-ン]/);
    expect(en.markdown).not.toMatch(/[ぁ-んァ-ン]/);
    expect(ja.sections.map((s) => s.topic)).toEqual(en.sections.map((s) => s.topic));
  });

  it("marks runnable blocks that all parse and name only commands the guide knows", () => {
    for (const g of guides) {
      const blocks = runnableBlocks(g.markdown);
      expect(blocks.length).toBeGreaterThan(10);
      for (const b of blocks) {
        if (b.kind !== "run") continue;
        const unknown = commandsOf(b.script).filter((c) => !KNOWN_COMMANDS.has(c));
        expect(unknown, b.script).toEqual([]);
      }
    }
  });

  it("runs the same commands and writes the same files in both languages", () => {
    const shape = (md: string) => runnableBlocks(md).map((b) => (b.kind === "run" ? `${b.on} ${b.expect} ${b.log ?? ""} ${b.script}` : `${b.on} ${b.path} ${b.content}`));
    expect(shape(ja.markdown)).toEqual(shape(en.markdown));
  });

  it("builds the batch file from the stack's default partition and its GPU type", () => {
    const partition = inv.slurm?.partitions.find((p) => p.default) ?? inv.slurm?.partitions[0];
    const gpuType = inv.hosts.find((h) => partition?.nodes.includes(h.name) && h.gpus !== undefined)?.gpus?.type;
    const job = runnableBlocks(en.markdown).find((b) => b.kind === "file" && b.path === "job/job.sh");
    expect(job?.kind === "file" ? job.content : "").toContain(`#SBATCH --partition ${partition?.name}\n`);
    expect(job?.kind === "file" ? job.content : "").toContain(`#SBATCH --gpus ${gpuType}:1\n`);
  });

  it("states the reaper's days, the container hosts and the pool of this stack", () => {
    const days = (inv.containers?.reapAfter ?? 0) / 86400;
    expect(en.markdown).toContain(`stopped for more than **${days} day`);
    expect(ja.markdown).toContain(`**${days}日**`);
    expect(en.markdown).toContain(inv.containers?.ipPool);
  });

  it("writes an offline HTML page per language with a table of contents and no test markers", () => {
    const files = guideFiles(inv);
    for (const lang of ["ja", "en"]) {
      const html = files.find((f) => f.path === `${GUIDE_DIR}/${lang}/index.html`)?.content ?? "";
      expect(html).toMatch(/^<!DOCTYPE html>/);
      const guide = guides.find((g) => g.lang === lang);
      for (const s of guide?.sections ?? []) {
        expect(html).toContain(`<a href="#${s.topic}">`);
        expect(html).toContain(`<section id="${s.topic}">`);
      }
      expect(html).not.toMatch(/\{run|\{file=/);
      expect(html).not.toMatch(/<script|https?:\/\//);
      expect(html).toContain('<code class="language-sh">');
    }
  });

  it("marks each section for ie-help, and installs only the Markdown and HTML per language besides the commands", () => {
    for (const g of guides) for (const s of g.sections) expect(g.markdown).toContain(`<!-- ie-help: ${s.topic} -->\n## ${s.title}\n`);
    expect(guideFiles(inv).map((f) => f.path)).toEqual([
      `${GUIDE_DIR}/ja/guide.md`,
      `${GUIDE_DIR}/ja/index.html`,
      `${GUIDE_DIR}/en/guide.md`,
      `${GUIDE_DIR}/en/index.html`,
      "/usr/local/bin/ie-help",
      "/usr/local/lib/ie-guide/login-summary",
      "/etc/profile.d/ie-guide.sh",
    ]);
  });

  it("installs on the hosts users log in to", () => {
    const expected = inv.hosts.filter((h) => h.roles.some((r) => ["slurm-controller", "slurm-compute", "container-host"].includes(r))).map((h) => h.name);
    expect(guideHosts(inv)).toEqual(expected);
    expect(guideHosts(inv).length).toBeGreaterThan(0);
  });
});

describe("ie-podman's refusals in the guide", () => {
  it("has one line per refused option class, covering every refused option", () => {
    const classes = refusedClasses();
    expect(new Set(classes.map((c) => c.reason)).size).toBe(classes.length);
    expect(classes.flatMap((c) => c.options).sort()).toEqual(Object.keys(REFUSED).map((o) => `--${o}`).sort());
  });

  it("translates every refusal reason into Japanese (a new one in policy.ts needs its line here)", () => {
    const missing = [...new Set(Object.values(REFUSED))].filter((r) => !Object.hasOwn(REFUSAL_JA, r));
    expect(missing).toEqual([]);
  });
});

describe("the lab's guide, word for word", () => {
  // Golden files: a change of wording or of the stack shows in review (update with vitest -u).
  it.each(["ja", "en"] as const)("%s", async (lang) => {
    const guide = renderGuides(stack("lab")).guides.find((g) => g.lang === lang);
    await expect(guide?.markdown).toMatchFileSnapshot(`testdata/lab.${lang}.md`);
  });
});

describe("the guide's stack fields", () => {
  const withSite = (lines: string) =>
    loadStackText(readFileSync(join(ROOT, "stacks", "Pulumi.ie.yaml"), "utf8").replace(/^ {4}contact: .*$/m, lines), "Pulumi.ie.yaml", { baseDir: ROOT }).diagnostics.filter((d) => d.severity === "error");

  it("refuses an empty contact and an image given as a transport, naming the field and line", () => {
    const errors = withSite('    contact: "  "\n    exampleImage: docker-archive:/etc/shadow');
    expect(errors.map((d) => `${d.line} ${d.path.join(".")}`)).toEqual(["8 site.contact", "9 site.exampleImage"]);
    expect(errors[1].message).toMatch(/not a transport/);
  });

  it("defaults the example image to a public one", () => {
    expect(renderGuides(stack("ie")).facts.exampleImage).toBe("docker.io/library/ubuntu:24.04");
  });
});

describe("site.contact", () => {
  it("is printed where users look for help, and defaults to the teaching staff", () => {
    const withContact = renderGuides(stack("ie")).guides[1];
    expect(withContact.markdown).toContain("ie-support@example.ac.jp");
    const without = renderGuides(stack("ie", (t) => t.replace(/^ {4}contact: .*\n/m, ""))).guides;
    expect(without[0].markdown).toContain(DEFAULT_CONTACT.ja);
    expect(without[1].markdown).toContain(DEFAULT_CONTACT.en);
  });
});

describe("runnable block markers", () => {
  const block = (info: string, body = "ie-help") => ({ info, body, line: 7 });

  it("reads run blocks, file blocks and illustrations", () => {
    expect(parseRunnable(block("sh"))).toBeUndefined();
    expect(parseRunnable(block('sh {run on=login expect=ok prints="a b"}'))).toEqual({ kind: "run", on: "login", expect: "ok", prints: "a b", script: "ie-help" });
    expect(parseRunnable(block("sh {file=job/x.sh on=slurm-controller}", "echo"))).toEqual({ kind: "file", on: "slurm-controller", path: "job/x.sh", content: "echo\n" });
  });

  it.each([
    ["sh {run on=moon expect=ok}", /on must be one of/],
    ["sh {run on=login expect=works}", /expect must be one of/],
    ["sh {run on=login expect=job}", /expect=job needs log=PATH/],
    ["sh {run on=login expect=ok colour=red}", /unknown attribute colour/],
    ["sh {on=login expect=ok}", /without run or file=PATH/],
    ["sh {file=/etc/passwd on=login}", /a path under the home/],
    ['sh {run on=login expect=ok prints="open}', /cannot read the attributes/],
  ])("refuses %s, naming the line", (info, message) => {
    expect(() => parseRunnable(block(info))).toThrow(message);
    expect(() => parseRunnable(block(info))).toThrow(/guide line 7/);
  });

  it("finds fenced blocks and refuses one left open", () => {
    expect(fencedBlocks("a\n```sh\nx\n```\n").map((b) => b.line)).toEqual([2]);
    expect(() => fencedBlocks("```sh\nx\n")).toThrow(/line 1: a fenced block is not closed/);
  });

  it("names the commands of pipelines, lists and substitutions", () => {
    expect(commandsOf("ie-podman ps | grep x && ls $(hostname)\n# a comment\nFOO=1 cat y")).toEqual(["ie-podman", "grep", "ls", "hostname", "cat"]);
  });
});
