import { describe, expect, it } from "vitest";
import type { WantedFile } from "./collect";
import { compareFile, driftReport, formatReport } from "./report";

const connection = { host: "10.77.0.12", port: 22, user: "root", hostKey: "ssh-ed25519 AAAA" };
const conf: WantedFile = {
  resource: "lab2-file-slurm.conf",
  connection,
  path: "/etc/slurm/slurm.conf",
  content: "ClusterName=lab\nMessageTimeout=10\n",
  encoding: "utf8",
  mode: "0644",
  owner: "root:root",
  secret: false,
};
const KEY = Buffer.alloc(64, 9).toString("base64");
const mungeKey: WantedFile = { ...conf, resource: "lab2-file-munge.key", path: "/etc/munge/munge.key", content: KEY, encoding: "base64", mode: "0400", owner: "munge:munge", secret: true };
const onHost = (content: string, mode = "0644", owner = "root:root") => ({ kind: "file" as const, content, mode, owner });

describe("compareFile", () => {
  it("finds nothing when the host has the file as the stack wants it", () => {
    expect(compareFile("lab2", conf, onHost(conf.content ?? ""))).toMatchObject({ status: "same", fields: [], notes: [] });
  });

  it("shows a hand edit as a unified diff from the host to the stack", () => {
    const r = compareFile("lab2", conf, onHost("ClusterName=lab\nMessageTimeout=99\n"));
    expect(r.status).toBe("differs");
    expect(r.diff).toContain("--- lab2:/etc/slurm/slurm.conf\ton the host");
    expect(r.diff).toContain("-MessageTimeout=99\n+MessageTimeout=10");
  });

  it("never shows a secret's content, only that it differs, with mode and owner", () => {
    const r = compareFile("lab2", mungeKey, onHost(Buffer.alloc(64, 1).toString("base64"), "0600", "munge:munge"));
    expect(r.fields).toEqual(["content", "mode"]);
    expect(r.diff).toBeUndefined();
    expect(r.notes).toEqual(["mode on the host 0600, in the stack 0400", "content differs (a secret: not shown)"]);
    const text = formatReport(driftReport("lab", [{ host: "lab2", address: connection.host, reachable: true, files: [r] }]));
    expect(text).not.toContain(KEY.slice(0, 16));
    expect(text).not.toContain(Buffer.alloc(64, 1).toString("base64").slice(0, 16));
  });

  it("compares only mode and owner when the content is generated at apply time", () => {
    const r = compareFile("lab2", { ...mungeKey, content: undefined }, onHost("anything", "0400", "munge:munge"));
    expect(r.status).toBe("same");
    expect(r.notes[0]).toMatch(/content not compared/);
  });

  it("compares a file kept by digest by its sha256 and size, and shows both when they differ", () => {
    const bundle: WantedFile = { resource: "gpu1-file-ie-podman", connection, path: "/usr/local/bin/ie-podman", keep: "sha256", sha256: "a".repeat(64), size: 500_000, mode: "0755", owner: "root:root", secret: false };
    const same = compareFile("gpu1", bundle, { kind: "file", sha256: "a".repeat(64), size: 500_000, mode: "0755", owner: "root:root" });
    expect(same).toMatchObject({ status: "same", fields: [], notes: [] });
    const changed = compareFile("gpu1", bundle, { kind: "file", sha256: "b".repeat(64), size: 500_002, mode: "0755", owner: "root:root" });
    expect(changed).toMatchObject({ status: "differs", fields: ["content"] });
    expect(changed.notes).toEqual([`content differs: sha256 ${"b".repeat(64)} (500002 bytes) on the host, ${"a".repeat(64)} (500000 bytes) in the stack`]);
  });

  it("reports a missing file", () => {
    expect(compareFile("lab2", conf, { kind: "absent" })).toMatchObject({ status: "missing", fields: ["presence"] });
  });
});

describe("driftReport", () => {
  it("counts an unreachable host as unreachable, not as drift", () => {
    const report = driftReport("ie", [{ host: "gpu1", address: "10.0.0.21", reachable: false, error: "connect ECONNREFUSED", files: [] }]);
    expect(report).toMatchObject({ drift: false, unreachable: ["gpu1"] });
    expect(formatReport(report)).toContain("gpu1 (10.0.0.21): UNREACHABLE, not checked: connect ECONNREFUSED");
  });

  it("is drift when a reachable host has a file that differs", () => {
    const files = [compareFile("lab2", conf, onHost("x\n"))];
    expect(driftReport("lab", [{ host: "lab2", address: connection.host, reachable: true, files }]).drift).toBe(true);
  });
});
