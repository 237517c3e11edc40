import { describe, expect, it } from "vitest";
import { countDiagnostics, error, formatDiagnostic, formatFieldPath, hasErrors, warning } from "./diagnostics";

describe("formatFieldPath", () => {
  it.each([
    [["hosts", 2, "name"], "hosts[2].name"],
    [["ceph", "pools", 0, "size"], "ceph.pools[0].size"],
    [["slurm", "partitions", 1, "nodes", 3], "slurm.partitions[1].nodes[3]"],
    [["site"], "site"],
    [[], ""],
  ])("%j -> %s", (path, printed) => {
    expect(formatFieldPath(path)).toBe(printed);
  });
});

describe("formatDiagnostic", () => {
  it("prints FILE:LINE:COL: severity: field: message", () => {
    const d = { ...error(["hosts", 2, "name"], "is taken"), file: "stacks/Pulumi.ie.yaml", line: 12, column: 7 };
    expect(formatDiagnostic(d)).toBe("stacks/Pulumi.ie.yaml:12:7: error: hosts[2].name: is taken");
  });

  it("prints FILE: severity: ... without a position", () => {
    expect(formatDiagnostic({ ...warning(["ceph", "pools", 0, "size"], "one copy"), file: "s.yaml" })).toBe(
      "s.yaml: warning: ceph.pools[0].size: one copy",
    );
  });

  it("leaves out an empty field path and a missing file", () => {
    expect(formatDiagnostic({ ...error([], "invalid YAML"), file: "s.yaml", line: 3, column: 1 })).toBe(
      "s.yaml:3:1: error: invalid YAML",
    );
    expect(formatDiagnostic(error(["site"], "missing"))).toBe("error: site: missing");
  });
});

describe("hasErrors and countDiagnostics", () => {
  it("counts errors and warnings apart", () => {
    const ds = [warning([], "a"), error([], "b"), warning([], "c")];
    expect(hasErrors(ds)).toBe(true);
    expect(hasErrors([warning([], "a")])).toBe(false);
    expect(hasErrors([])).toBe(false);
    expect(countDiagnostics(ds)).toEqual({ errors: 1, warnings: 2 });
  });
});
