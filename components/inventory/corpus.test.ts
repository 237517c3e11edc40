/**
 * The bad-inventory corpus (testdata/bad/*.yaml): each file breaks one rule (or a few related ones) of a small
 * valid stack and says in `# expect:` header lines exactly what the validator must report:
 *
 *   # expect: <error|warning> <field path, or - for the whole file> @<line>: <fragment of the message>
 *
 * Every expectation must be met by a diagnostic (severity, printed field path, line, message fragment) and every
 * diagnostic must be expected, so a file also proves that nothing else is reported.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, formatFieldPath, hasErrors, type Diagnostic, type Severity } from "./diagnostics";
import { loadStackFile } from "./load";

const TESTDATA = path.join(__dirname, "testdata");
const BAD = path.join(TESTDATA, "bad");

interface Expectation {
  readonly severity: Severity;
  readonly field: string;
  readonly line: number;
  readonly fragment: string;
}

const EXPECT_RE = /^# expect: (error|warning) (\S+) @(\d+): (.+)$/;

function expectationsOf(text: string): Expectation[] {
  return text.split("\n").flatMap((line) => {
    const m = EXPECT_RE.exec(line);
    if (!m) return [];
    const severity: Severity = m[1] === "error" ? "error" : "warning";
    return [{ severity, field: m[2] === "-" ? "" : m[2], line: Number(m[3]), fragment: m[4].trim() }];
  });
}

function meets(d: Diagnostic, e: Expectation): boolean {
  return (
    d.severity === e.severity &&
    formatFieldPath(d.path) === e.field &&
    d.line === e.line &&
    d.message.includes(e.fragment)
  );
}

const cases = fs
  .readdirSync(BAD)
  .filter((name) => name.endsWith(".yaml"))
  .sort();

describe("bad inventory corpus", () => {
  it("has a case for each rule (at least 25 files, each with expectations)", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    for (const name of cases)
      expect(expectationsOf(fs.readFileSync(path.join(BAD, name), "utf8")), name).not.toEqual([]);
  });

  it.each(cases)("%s", (name) => {
    const file = path.join(BAD, name);
    const expected = expectationsOf(fs.readFileSync(file, "utf8"));
    // Default options, as the Pulumi program loads: a missing host key file is an error.
    const result = loadStackFile(file, { baseDir: TESTDATA });
    const printed = result.diagnostics.map(formatDiagnostic);
    const unmet = expected.filter((e) => !result.diagnostics.some((d) => meets(d, e)));
    const unexpected = result.diagnostics.filter((d) => !expected.some((e) => meets(d, e))).map(formatDiagnostic);
    expect({ unmet, unexpected }, printed.join("\n")).toEqual({ unmet: [], unexpected: [] });
    for (const d of result.diagnostics) expect(d.file).toBe(file);
    // The inventory is handed out exactly when nothing is an error.
    const errorsExpected = expected.some((e) => e.severity === "error");
    expect(hasErrors(result.diagnostics)).toBe(errorsExpected);
    expect(result.inventory === undefined).toBe(errorsExpected);
  });
});
