/**
 * Where an inventory field is written in a stack file: inventory paths (`["hosts", 2, "name"]`) mapped to the
 * line and column of `config: ie:hosts: [2]: name:` in the YAML document the `yaml` library parsed.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import type { FieldPath } from "./diagnostics";

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Point at a mapping entry's key (unknown keys) or at its value (wrong values, the default). */
export type Anchor = "key" | "value";

/** The text of a mapping key as the data sees it (`ie:site`, `0`). */
export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Parses a stack file keeping positions. YAML problems are in `document.errors` / `document.warnings`. */
export function parseStackDocument(text: string): { readonly document: Document.Parsed; readonly lines: LineCounter } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { document, lines };
}

export class StackPositions {
  constructor(
    private readonly document: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static fromText(text: string): StackPositions {
    const { document, lines } = parseStackDocument(text);
    return new StackPositions(document, lines);
  }

  /** Line and column of a character offset in the text. */
  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * The position of an inventory field. A field that is not in the document (a missing required field) gets
   * the position of its nearest written parent; `undefined` only when not even `config` is there.
   */
  locate(path: FieldPath, anchor: Anchor = "value"): Position | undefined {
    const [first, ...rest] = path;
    const steps: (string | number)[] = first === undefined ? ["config"] : ["config", `ie:${first}`, ...rest];
    let node: unknown = this.document.contents;
    let found: number | undefined = rangeStart(node);
    for (const [i, step] of steps.entries()) {
      if (isAlias(node)) node = node.resolve(this.document);
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(step));
        if (!pair) break;
        const isLast = i === steps.length - 1;
        const keyStart = rangeStart(pair.key);
        if (isLast && anchor === "key") return this.maybeAt(keyStart ?? found);
        // A scalar is pointed at where it is written. A section or list is pointed at by its key (`ie:slurm:`,
        // `pools:`), also for its missing fields; so is an empty value (a zero-width range at the end of line).
        const valueStart = isScalar(pair.value) && pair.value.value !== null ? rangeStart(pair.value) : undefined;
        found = valueStart ?? keyStart ?? found;
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number") {
        const item: unknown = node.items[step];
        if (item === undefined) break;
        found = rangeStart(item) ?? found;
        node = item;
      } else {
        break;
      }
    }
    return this.maybeAt(found);
  }

  private maybeAt(offset: number | undefined): Position | undefined {
    return offset === undefined ? undefined : this.at(offset);
  }
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range: unknown = node.range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}
