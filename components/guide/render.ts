/**
 * Every file of the users' guide, rendered from the inventory: per language the Markdown (which `ie-help`
 * reads its sections from) and the HTML page, plus `ie-help`, the login summary and its profile.d stub. Few
 * files on purpose: each ManagedFile costs about 2.6 KB of state per host whatever its size. The same list is what `npm run guide` writes (below a directory of its own) and what the stack
 * installs on every login host (at these paths). Pure: inventory in, text out.
 */
import type { Inventory } from "../inventory/model";
import { type GuideFacts, LOGIN_ROLES, guideFacts } from "./facts";
import { renderGuideHtml } from "./render-html";
import { type Guide, renderGuide } from "./render-markdown";
import { GUIDE_DIR, IE_HELP_PATH, LOGIN_SUMMARY_PATH, PROFILE_PATH, renderIeHelp, renderLoginSummary, renderProfileScript } from "./render-scripts";
import { LANGUAGES, type Lang } from "./text";

export { GUIDE_DIR, IE_HELP_PATH, LOGIN_SUMMARY_PATH, PROFILE_PATH, LOGIN_ROLES };

export interface GuideFile {
  /** Absolute path on a host. */
  readonly path: string;
  readonly content: string;
  /** Octal, as ManagedFile takes it. */
  readonly mode: "0644" | "0755";
  /** Part of the guide's documents (what `npm run guide` writes), or one of the host's commands. */
  readonly kind: "doc" | "command";
}

const OTHER: Readonly<Record<Lang, { readonly href: string; readonly label: string }>> = {
  ja: { href: "../en/index.html", label: "English" },
  en: { href: "../ja/index.html", label: "日本語" },
};

/** The guide in both languages, for a validated inventory. */
export function renderGuides(inv: Inventory): { readonly facts: GuideFacts; readonly guides: readonly Guide[] } {
  const facts = guideFacts(inv);
  return { facts, guides: LANGUAGES.map((lang) => renderGuide(facts, lang)) };
}

/** The guide's documents of one language. */
function docFiles(guide: Guide): GuideFile[] {
  const dir = `${GUIDE_DIR}/${guide.lang}`;
  const intro = guide.markdown.split("\n\n")[1] ?? "";
  return [
    { path: `${dir}/guide.md`, content: `${guide.markdown.trimEnd()}\n`, mode: "0644", kind: "doc" },
    { path: `${dir}/index.html`, content: renderGuideHtml(guide, intro, OTHER[guide.lang]), mode: "0644", kind: "doc" },
  ];
}

/** Every file of the guide, documents first. */
export function guideFiles(inv: Inventory): GuideFile[] {
  const { facts, guides } = renderGuides(inv);
  return [
    ...guides.flatMap(docFiles),
    { path: IE_HELP_PATH, content: renderIeHelp(), mode: "0755", kind: "command" },
    { path: LOGIN_SUMMARY_PATH, content: renderLoginSummary(facts), mode: "0755", kind: "command" },
    { path: PROFILE_PATH, content: renderProfileScript(), mode: "0644", kind: "command" },
  ];
}

/** The hosts the guide is installed on: every host users log in to, draining ones too (users still log in). */
export function guideHosts(inv: Inventory): string[] {
  return inv.hosts.filter((h) => h.roles.some((r) => LOGIN_ROLES.includes(r))).map((h) => h.name);
}
