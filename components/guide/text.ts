/** The guide's languages and the small formatting helpers every section shares. Pure. */
import { GiB, MiB } from "../inventory/units";

export const LANGUAGES = ["ja", "en"] as const;
export type Lang = (typeof LANGUAGES)[number];

/** The guide's topics, in the guide's order; `ie-help TOPIC` takes these names. */
export const TOPICS = ["files", "slurm", "containers", "apptainer", "vms", "help"] as const;
export type Topic = (typeof TOPICS)[number];

/** One section of the guide: its topic, its title and its Markdown body (without the title). */
export interface Section {
  readonly topic: Topic;
  readonly title: string;
  readonly body: string;
}

/** The text in the reader's language. */
export function tr(lang: Lang, text: { readonly en: string; readonly ja: string }): string {
  return text[lang];
}

/** A list of names: "a, b and c" / "a、b、c". */
export function list(lang: Lang, items: readonly string[]): string {
  if (lang === "ja") return items.join("、");
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Names in code spans. */
export const codes = (items: readonly string[]): string[] => items.map((i) => `\`${i}\``);

/** A duration in seconds as a reader says it: "1 day", "36 hours", "90 minutes" / "1日", "36時間", "90分". */
export function duration(lang: Lang, seconds: number): string {
  const unit = (n: number, en: string, ja: string) => (lang === "ja" ? `${n}${ja}` : `${n} ${en}${n === 1 ? "" : "s"}`);
  if (seconds % 86400 === 0) return unit(seconds / 86400, "day", "日");
  if (seconds % 3600 === 0) return unit(seconds / 3600, "hour", "時間");
  return unit(Math.ceil(seconds / 60), "minute", "分");
}

/** Bytes as GiB or MiB ("2 GiB", "512 MiB"). */
export function bytes(n: number): string {
  return n % GiB === 0 ? `${n / GiB} GiB` : `${Math.round(n / MiB)} MiB`;
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A fenced block with an info string. */
export function fence(info: string, body: string): string {
  return `\`\`\`${info}\n${body.replace(/\n$/, "")}\n\`\`\``;
}
