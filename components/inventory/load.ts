/**
 * Loading a stack definition: YAML with positions -> the `ie:` keys -> schema -> semantic checks -> host keys.
 * Every problem of every stage that could run is returned at once, with file, line and column; the inventory
 * only when there is no error. Used by the Pulumi program and by `npm run validate`.
 */
import * as fs from "node:fs";
import { isMap, isScalar, type Document } from "yaml";
import { error, hasErrors, type Diagnostic, type Severity } from "./diagnostics";
import { resolveKeyFiles } from "./hostkeys";
import type { Inventory } from "./model";
import { keyText, parseStackDocument, StackPositions } from "./positions";
import { inventorySchema, SECRET_KEYS } from "./schema";
import { schemaDiagnostics, type AnchoredDiagnostic } from "./schema-issues";
import { checkInventory, writtenIn } from "./semantic";

export interface LoadOptions {
  /** Base directory for `hostKey: file:PATH` references. Defaults to the current directory (the project root). */
  readonly baseDir?: string;
  /**
   * A `file:` host key whose file does not exist yet: "error" (the program, which must pin keys) or "warning"
   * (validate CLI: the lab writes them on `npm run lab -- up`). Defaults to "error".
   */
  readonly missingHostKeyFile?: Severity;
}

export interface LoadResult {
  /** Set only when there is no error; `file:` host keys resolved to their key line. */
  readonly inventory?: Inventory;
  readonly diagnostics: readonly Diagnostic[];
}

const NAMESPACE = "ie:";
const INVENTORY_KEYS: readonly string[] = Object.keys(inventorySchema.shape);
const SECRETS: readonly string[] = SECRET_KEYS;
const KNOWN_CONFIG_KEYS = [...INVENTORY_KEYS, ...SECRETS].map((k) => NAMESPACE + k).join(", ");

/** A diagnostic waiting for its position: by inventory path, or at a known offset in the text. */
interface Pending extends AnchoredDiagnostic {
  readonly offset?: number;
}

/** Validate the text of a stack file (YAML with positions). inventory is set only when there is no error. */
export function loadStackText(text: string, fileName: string, opts?: LoadOptions): LoadResult {
  const { document, lines } = parseStackDocument(text);
  const positions = new StackPositions(document, lines);
  const pending: Pending[] = yamlProblems(document, text);
  // Duplicate keys leave a readable document (the last one wins), so the other checks still run; any other
  // syntax error leaves nothing trustworthy to check.
  if (document.errors.some((e) => e.code !== "DUPLICATE_KEY"))
    return { diagnostics: place(pending, positions, fileName) };
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 1000 });
  } catch (e: unknown) {
    pending.push(atOffset(0, `cannot read the YAML: ${e instanceof Error ? e.message : String(e)}`));
    return { diagnostics: place(pending, positions, fileName) };
  }
  const raw = configKeys(document, data, pending);
  if (raw === undefined) return { diagnostics: place(pending, positions, fileName) };
  return finish(raw, pending, positions, fileName, opts);
}

/** Read and validate a stack file from disk. */
export function loadStackFile(path: string, opts?: LoadOptions): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e: unknown) {
    const reason = e instanceof Error && "code" in e && e.code === "ENOENT" ? "no such file" : String(e);
    return { diagnostics: [{ ...error([], `cannot read the stack file: ${reason}`), file: path }] };
  }
  return loadStackText(text, path, opts);
}

/**
 * Validate an already-parsed inventory object (what the Pulumi program reads through pulumi.Config: keys
 * without the `ie:` prefix, values parsed from JSON). When `source` (the stack file's text and name) is given,
 * diagnostics get positions from it.
 */
export function loadInventoryObject(
  raw: Readonly<Record<string, unknown>>,
  source?: { text: string; fileName: string },
  opts?: LoadOptions,
): LoadResult {
  const positions = source ? StackPositions.fromText(source.text) : undefined;
  return finish(raw, [], positions, source?.fileName, opts);
}

function finish(
  raw: Readonly<Record<string, unknown>>,
  pending: Pending[],
  positions: StackPositions | undefined,
  fileName: string | undefined,
  opts: LoadOptions | undefined,
): LoadResult {
  const inventoryRaw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (INVENTORY_KEYS.includes(key)) inventoryRaw[key] = value;
    else if (!SECRETS.includes(key)) {
      pending.push({
        diagnostic: error([key], `unknown key '${NAMESPACE}${key}': known keys are ${KNOWN_CONFIG_KEYS}`),
        anchor: "key",
      });
    }
  }
  const parsed = inventorySchema.safeParse(inventoryRaw);
  let inventory: Inventory | undefined;
  if (!parsed.success) {
    pending.push(...schemaDiagnostics(inventorySchema, parsed.error.issues, inventoryRaw, NAMESPACE));
  } else {
    const semantic = checkInventory(parsed.data, writtenIn(inventoryRaw));
    pending.push(...semantic.map((diagnostic) => ({ diagnostic, anchor: "value" as const })));
    const keys = resolveKeyFiles(parsed.data, opts?.baseDir ?? process.cwd(), opts?.missingHostKeyFile ?? "error");
    pending.push(...keys.diagnostics.map((diagnostic) => ({ diagnostic, anchor: "value" as const })));
    inventory = keys.inventory;
  }
  const diagnostics = place(pending, positions, fileName);
  return hasErrors(diagnostics) ? { diagnostics } : { inventory, diagnostics };
}

function atOffset(offset: number, message: string, severity: Severity = "error"): Pending {
  return { diagnostic: { severity, path: [], message }, anchor: "value", offset };
}

/** The YAML library's errors and warnings, in words an admin acts on. */
function yamlProblems(document: Document.Parsed, text: string): Pending[] {
  const problems = [
    ...document.errors.map((e) => ({ e, severity: "error" as const })),
    ...document.warnings.map((e) => ({ e, severity: "warning" as const })),
  ];
  return problems.map(({ e, severity }) => {
    if (e.code === "DUPLICATE_KEY") {
      const key = /^[^:\n]*/.exec(text.slice(e.pos[0]))?.[0].trim() ?? "";
      return atOffset(
        e.pos[0],
        `duplicate key '${key}': a key may appear only once in a mapping; merge or remove one`,
        severity,
      );
    }
    // The library appends " at line L, column C:" and an excerpt; the position is printed separately.
    const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return atOffset(e.pos[0], `invalid YAML: ${message}`, severity);
  });
}

/**
 * The `ie:` keys of `config`, prefix removed. Other namespaces (`command:`, `pulumi:`) belong to other
 * packages and are ignored. `undefined` when the file has no usable `config` mapping.
 */
function configKeys(document: Document.Parsed, data: unknown, pending: Pending[]): Record<string, unknown> | undefined {
  const root = document.contents;
  if (!isMap(root) || typeof data !== "object" || data === null) {
    pending.push(atOffset(0, "a stack file is a mapping with a 'config' key holding the ie: keys"));
    return undefined;
  }
  const configPair = root.items.find((p) => keyText(p.key) === "config");
  const config: unknown = (data as Record<string, unknown>)["config"];
  if (!configPair || !isMap(configPair.value) || typeof config !== "object" || config === null) {
    const offset = configPair && isScalar(configPair.key) ? (configPair.key.range?.[0] ?? 0) : 0;
    pending.push(
      atOffset(offset, "a stack file needs 'config:' as a mapping of the ie: keys (ie:site, ie:hosts, ...)"),
    );
    return undefined;
  }
  const raw: Record<string, unknown> = {};
  for (const pair of configPair.value.items) {
    const key = keyText(pair.key);
    const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
    const value: unknown = (config as Record<string, unknown>)[key];
    if (!key.includes(":")) {
      pending.push(
        atOffset(
          offset,
          `config key '${key}' has no namespace: Pulumi reads keys as namespace:name; inventory keys are ${NAMESPACE}${key} and the like`,
        ),
      );
    } else if (key.startsWith(NAMESPACE)) {
      const name = key.slice(NAMESPACE.length);
      if (SECRETS.includes(name) && !isSecret(value)) {
        pending.push({
          diagnostic: error(
            [name],
            `${key} must be a secret: set it with 'pulumi config set --secret ${key} < FILE', never as plain text`,
          ),
          anchor: "key",
          offset,
        });
      }
      raw[name] = value;
    }
  }
  return raw;
}

/** What `pulumi config set --secret` writes: `{ secure: <ciphertext> }`. */
function isSecret(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "secure" && typeof (value as Record<string, unknown>)["secure"] === "string";
}

/** Positions added, ordered by line (diagnostics without a position last, in the order found). */
function place(
  pending: readonly Pending[],
  positions: StackPositions | undefined,
  file: string | undefined,
): Diagnostic[] {
  const placed = pending.map(({ diagnostic, anchor, offset }): Diagnostic => {
    const where =
      positions === undefined
        ? undefined
        : offset !== undefined
          ? positions.at(offset)
          : positions.locate(diagnostic.path, anchor);
    return {
      ...diagnostic,
      ...(file !== undefined ? { file } : {}),
      ...(where ? { line: where.line, column: where.column } : {}),
    };
  });
  const line = (d: Diagnostic) => d.line ?? Number.POSITIVE_INFINITY;
  return placed
    .map((d, i) => ({ d, i }))
    .sort((a, b) => line(a.d) - line(b.d) || (a.d.column ?? 0) - (b.d.column ?? 0) || a.i - b.i)
    .map(({ d }) => d);
}
