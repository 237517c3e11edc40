/**
 * Reading the command lines the Host layer builds (`bash -c '<script>' <name> '<arg>'...`) back into
 * script name and arguments, so stack tests can say "runs slurm/install.sh compute" instead of matching
 * text.
 */
import type { RegisteredResource } from "./mocks";
import { unwrapSecrets } from "./mocks";

export interface ScriptCallSeen {
  readonly script: string;
  readonly args: readonly string[];
  /** The script's text as it travels in the command line. */
  readonly text: string;
  readonly sudo: boolean;
}

/** Splits a line of single-quoted words (`'a' 'it'\''s'`) into the words. Throws on anything else. */
export function quotedWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    let word = "";
    while (i < line.length && line[i] !== " ") {
      if (line[i] === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new Error(`unterminated quote at ${i}`);
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (line.startsWith("\\'", i)) {
        word += "'";
        i += 2;
      } else if (/[A-Za-z0-9_-]/.test(line[i])) {
        word += line[i++];
      } else {
        throw new Error(`unquoted '${line[i]}' at ${i} in a command line`);
      }
    }
    words.push(word);
  }
  return words;
}

/** The script call in a command resource's `create`, `update` or `delete`; undefined when absent. */
export function scriptCallOf(
  resource: RegisteredResource,
  field: "create" | "update" | "delete" = "create",
): ScriptCallSeen | undefined {
  const line = unwrapSecrets(resource.inputs[field]);
  if (line === undefined) return undefined;
  if (typeof line !== "string") throw new Error(`${resource.name}.${field} is not a string`);
  const words = quotedWords(line);
  const sudo = words[0] === "sudo";
  const [bash, dashC, text, script, ...args] = sudo ? words.slice(2) : words;
  if (bash !== "bash" || dashC !== "-c") throw new Error(`${resource.name}.${field} is not 'bash -c ...': ${line.slice(0, 40)}`);
  return { script, args, text, sudo };
}
