/**
 * The users' guide as Markdown, in one language: a title, then a section per topic the stack has (a stack
 * without Slurm has no Slurm section). Pure: facts in, text out.
 */
import type { GuideFacts } from "./facts";
import { apptainerSection, containersSection } from "./sections-containers";
import { helpSection, vmsSection } from "./sections-more";
import { filesSection, slurmSection } from "./sections-slurm";
import { type Lang, type Section, tr } from "./text";

export interface Guide {
  readonly lang: Lang;
  readonly title: string;
  readonly sections: readonly Section[];
  /** The whole guide: title, introduction, every section. */
  readonly markdown: string;
}

/** The guide's sections for the stack, in the guide's order. */
export function guideSections(f: GuideFacts, lang: Lang): Section[] {
  const slurm = f.slurm !== undefined ? slurmSection(f, f.slurm, lang) : undefined;
  return [
    filesSection(f, lang),
    ...(slurm !== undefined ? [slurm] : []),
    ...(f.containers !== undefined ? [containersSection(f, f.containers, lang), apptainerSection(f, f.containers, lang)] : []),
    ...(f.vms !== undefined ? [vmsSection(f, f.vms, lang)] : []),
    helpSection(f, lang, slurm?.title),
  ];
}

/** The comment before each section that `ie-help TOPIC` finds it by (invisible in HTML). */
export function topicMarker(topic: string): string {
  return `<!-- ie-help: ${topic} -->`;
}

/** A section as Markdown: its topic marker and `##` heading, then the body. */
export function sectionMarkdown(s: Section): string {
  return `${topicMarker(s.topic)}\n## ${s.title}\n\n${s.body}`;
}

export function renderGuide(f: GuideFacts, lang: Lang): Guide {
  const title = tr(lang, { en: "Using the department's computers", ja: "学科計算機の使い方" });
  const intro = tr(lang, {
    en: "This guide is made from the same description of the system that builds it, so it tells what is there now; every example marked for testing is run on the department's test system before it reaches you. In a terminal, `ie-help TOPIC` prints one section.",
    ja: "このガイドは、システムを構築するのと同じ構成記述から作られているので、今あるものを説明しています。テスト用の印が付いた例はすべて、皆さんに届く前に学科のテスト環境で実行されています。端末では `ie-help トピック` で節ごとに表示できます。",
  });
  const sections = guideSections(f, lang);
  const markdown = [`# ${title}`, intro, ...sections.map(sectionMarkdown)].join("\n\n");
  return { lang, title, sections, markdown };
}
