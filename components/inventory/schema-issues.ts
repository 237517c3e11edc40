/**
 * zod issues turned into diagnostics an admin can act on: every issue (not only the first), unknown keys one by
 * one with the keys that are allowed there, missing fields named as missing.
 */
import { z } from "zod";
import { error, type Diagnostic, type FieldPath } from "./diagnostics";
import type { Anchor } from "./positions";

/** A diagnostic and where in the document it points. */
export interface AnchoredDiagnostic {
  readonly diagnostic: Diagnostic;
  readonly anchor: Anchor;
}

/** The object schema at a path of `schema`, seen through optional/default/transform wrappers and arrays. */
function objectAt(schema: z.ZodType, path: FieldPath): z.ZodObject | undefined {
  let current: z.ZodType | undefined = schema;
  for (const step of [...path, undefined]) {
    for (;;) {
      if (
        current instanceof z.ZodOptional ||
        current instanceof z.ZodDefault ||
        current instanceof z.ZodPrefault ||
        current instanceof z.ZodNullable
      ) {
        current = current.unwrap() as z.ZodType;
      } else if (current instanceof z.ZodPipe) {
        current = current.in as z.ZodType;
      } else {
        break;
      }
    }
    if (step === undefined) return current instanceof z.ZodObject ? current : undefined;
    if (current instanceof z.ZodArray && typeof step === "number") current = current.element as z.ZodType;
    else if (current instanceof z.ZodObject && typeof step === "string")
      current = current.shape[step] as z.ZodType | undefined;
    else return undefined;
  }
  return undefined;
}

/** The value at a path of plain data, and whether its parent object has the key at all. */
function lookup(raw: unknown, path: FieldPath): { readonly present: boolean } {
  let current: unknown = raw;
  for (const step of path) {
    if (typeof current !== "object" || current === null || !Object.prototype.hasOwnProperty.call(current, step)) {
      return { present: false };
    }
    current = (current as Record<string | number, unknown>)[step];
  }
  return { present: current !== undefined };
}

/** zod's generic texts ("Invalid input: expected string, received undefined") add nothing to "missing". */
const isGenericMessage = (message: string) => message.startsWith("Invalid input");

/**
 * @param topLevelPrefix written before top-level key names in messages (`ie:` for a stack's config keys).
 */
export function schemaDiagnostics(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  topLevelPrefix = "",
): AnchoredDiagnostic[] {
  const out: AnchoredDiagnostic[] = [];
  for (const issue of issues) {
    const path: FieldPath = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = Object.keys(objectAt(schema, path)?.shape ?? {});
      for (const key of issue.keys) {
        const hint = known.length > 0 ? `: known keys here are ${known.join(", ")}` : "";
        out.push({ diagnostic: error([...path, key], `unknown key '${key}'${hint}`), anchor: "key" });
      }
    } else if (path.length > 0 && !lookup(raw, path).present) {
      const field = path.length === 1 ? `${topLevelPrefix}${path[0]}` : path[path.length - 1];
      const hint = isGenericMessage(issue.message) ? "" : ` (${issue.message})`;
      out.push({ diagnostic: error(path, `missing required field '${field}'${hint}`), anchor: "value" });
    } else {
      out.push({ diagnostic: error(path, issue.message), anchor: "value" });
    }
  }
  return out;
}
