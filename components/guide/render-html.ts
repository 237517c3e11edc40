/**
 * The guide as one static HTML page per language, readable offline (no script, no external file): a table
 * of contents of the sections and their sub-headings, then the sections. Markdown goes through `marked`;
 * only the first word of a fence's info string becomes the code's language, so the test markers
 * (`{run ...}`) never show. Pure.
 */
import { Marked } from "marked";
import type { Guide } from "./render-markdown";
import type { Section } from "./text";

const marked = new Marked({ gfm: true, async: false });

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function toHtml(markdown: string): string {
  const html = marked.parse(markdown);
  if (typeof html !== "string") throw new Error("marked returned a promise for a synchronous parse");
  return html;
}

/** The `###` headings of a section body. */
function subHeadings(body: string): string[] {
  return [...body.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
}

/** A section's HTML: its heading with the topic as id, its sub-headings numbered `topic-1`, `topic-2`, ... */
function sectionHtml(s: Section): string {
  let n = 0;
  const body = toHtml(s.body).replace(/<h3>/g, () => `<h3 id="${s.topic}-${++n}">`);
  return `<section id="${s.topic}">\n<h2>${escapeHtml(s.title)}</h2>\n${body}</section>`;
}

function tocHtml(guide: Guide): string {
  const items = guide.sections.map((s) => {
    const subs = subHeadings(s.body);
    const inner = subs.length > 0 ? `\n<ul>\n${subs.map((h, i) => `<li><a href="#${s.topic}-${i + 1}">${toInline(h)}</a></li>`).join("\n")}\n</ul>\n` : "";
    return `<li><a href="#${s.topic}">${escapeHtml(s.title)}</a>${inner}</li>`;
  });
  return `<nav class="toc">\n<ul>\n${items.join("\n")}\n</ul>\n</nav>`;
}

function toInline(markdown: string): string {
  const html = marked.parseInline(markdown);
  if (typeof html !== "string") throw new Error("marked returned a promise for a synchronous parse");
  return html;
}

const STYLE = `body{font-family:system-ui,"Noto Sans CJK JP","Hiragino Sans",sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}code{font-family:ui-monospace,monospace}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
nav.toc{border:1px solid #ddd;padding:.5rem 1rem;margin-bottom:2rem}h2{border-bottom:1px solid #ddd}`;

/** The whole guide as a standalone HTML page. */
export function renderGuideHtml(guide: Guide, intro: string, otherLanguage: { readonly href: string; readonly label: string }): string {
  return `<!DOCTYPE html>
<html lang="${guide.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(guide.title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<p><a href="${escapeHtml(otherLanguage.href)}">${escapeHtml(otherLanguage.label)}</a></p>
<h1>${escapeHtml(guide.title)}</h1>
${toHtml(intro)}${tocHtml(guide)}
${guide.sections.map(sectionHtml).join("\n")}
</body>
</html>
`;
}
