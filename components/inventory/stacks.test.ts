/** The stacks the project ships must validate: production strictly, the lab before its host keys exist. */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, hasErrors } from "./diagnostics";
import { loadStackFile } from "./load";

const ROOT = path.resolve(__dirname, "..", "..");

describe("shipped stacks", () => {
  it("stacks/Pulumi.ie.yaml has no error and no warning", () => {
    const { inventory, diagnostics } = loadStackFile(path.join(ROOT, "stacks", "Pulumi.ie.yaml"), { baseDir: ROOT });
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(inventory?.hosts).toHaveLength(10);
    expect(inventory?.vms?.rentals).toHaveLength(12);
  });

  it("stacks/Pulumi.lab.yaml has no error (host key files may not exist yet)", () => {
    const { inventory, diagnostics } = loadStackFile(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), {
      baseDir: ROOT,
      missingHostKeyFile: "warning",
    });
    const errors = diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
    expect(errors).toEqual([]);
    expect(hasErrors(diagnostics)).toBe(false);
    // The only warnings allowed are key files the lab has not written yet: hosts' and rental owners'.
    for (const d of diagnostics) expect(d.message).toMatch(/^(host key file \.lab\/hostkeys\/|SSH key file \.lab\/userkeys\/)/);
    expect(inventory?.hosts.map((h) => h.name)).toEqual(["lab1", "lab2", "lab3"]);
  });
});
