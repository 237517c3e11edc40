import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { VERBS, main, overview } from "./cli";
import { parseProbe } from "./check";
import { formatTable, mib, summariseRemoved } from "./format";
import { missingPackages } from "./prereqs";
import { labStackPath } from "./paths";
import { FOURTH_HOST, fourHostLabStack, withHost } from "./stack-fixtures";

const scratch = mkdtempSync(path.join(tmpdir(), "lab-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const stackFile = (name: string, text: string): string => {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
};

let out: MockInstance;
let err: MockInstance;
const printed = (spy: MockInstance): string => spy.mock.calls.map((c) => String(c[0])).join("");

beforeEach(() => {
  out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe("lab CLI", () => {
  it("dispatches the verbs of its table, apply included", () => {
    expect(Object.keys(VERBS).sort()).toEqual(["all", "apply", "check", "down", "restart", "ssh", "status", "up"]);
    for (const verb of Object.keys(VERBS)) expect(overview()).toContain(`  ${verb} `);
  });

  it("refuses an unknown apply option with exit 2 before touching anything", async () => {
    expect(await main(["apply", "--forget"])).toBe(2);
    expect(printed(err)).toMatch(/lab apply: .*--forget/);
  });

  it("refuses an unknown verb with the overview", async () => {
    expect(await main(["frobnicate"])).toBe(2);
    expect(printed(err)).toContain("unknown verb 'frobnicate'");
  });

  it.each(Object.keys(VERBS))("prints help for %s --help without touching the machine", async (verb) => {
    expect(await main([verb, "--help"])).toBe(0);
    expect(printed(out)).toContain(`usage: lab ${verb}`);
  });

  it("refuses an unknown option with exit 2", async () => {
    expect(await main(["status", "--colour"])).toBe(2);
    expect(printed(err)).toMatch(/lab status: .*--colour/);
  });

  it("up --config-file: a missing file is named and nothing is booted (before the root check)", async () => {
    const missing = path.join(scratch, "no-such.yaml");
    expect(await main(["up", "--config-file", missing])).toBe(1);
    expect(printed(err)).toContain(`lab up: ${missing}: cannot read the stack file: no such file`);
    expect(printed(out)).toBe("");
  });

  it("up --config-file: a file that fails the schema is reported with file, line and field", async () => {
    const bad = stackFile("bad.yaml", withHost(readFileSync(labStackPath(), "utf8"), { ...FOURTH_HOST, gpus: { type: "tesla", count: "two" } }));
    expect(await main(["up", "--config-file", bad])).toBe(1);
    expect(printed(err)).toMatch(new RegExp(`lab up: ${bad.replace(/\./g, "\\.")} does not validate[^]*${bad.replace(/\./g, "\\.")}:\\d+:\\d+: error: hosts\\[3\\]\\.gpus\\.count`));
    expect(printed(out)).toBe("");
  });

  it("up --config-file: a host outside the lab's network is refused", async () => {
    const far = stackFile("far.yaml", withHost(readFileSync(labStackPath(), "utf8"), { ...FOURTH_HOST, address: "10.78.0.14" }));
    expect(await main(["up", "--config-file", far])).toBe(1);
    expect(printed(err)).toMatch(/hosts\[3\]\.address: 10\.78\.0\.14 is outside the host network 10\.77\.0\.0\/24/);
  });

  it("up and down say how to grow and shrink the lab", async () => {
    expect(await main(["up", "--help"])).toBe(0);
    expect(await main(["down", "--help"])).toBe(0);
    expect(printed(out)).toContain("--config-file FILE");
    expect(printed(out)).toContain("usage: lab down [HOST...]");
    expect(printed(out)).toMatch(/FILE does not list\s+are left running/);
    // the four-host fixture is a file `up --config-file` accepts
    expect(fourHostLabStack()).toContain("lab4");
  });

  it.each([["../../etc"], ["nosuchhost"], ["--force"]])("down %s: refused before anything is touched", async (arg) => {
    expect(await main(["down", arg])).toBe(arg === "--force" ? 2 : 1);
    expect(printed(err)).toMatch(/lab down: .*(not a host name|no lab host 'nosuchhost'|--force)/);
    expect(printed(out)).toBe("");
  });

  it("wants a host for ssh", async () => {
    expect(await main(["ssh"])).toBe(2);
    expect(await main(["ssh", "nosuchhost", "true"])).toBe(1);
    expect(printed(err)).toMatch(/no lab host 'nosuchhost': the lab has lab1, lab2, lab3\b/);
  });
});

describe("formatTable", () => {
  it("pads columns to their widest cell", () => {
    expect(formatTable([["HOST", "PID"], ["lab1", "123"], ["longer", "7"]])).toBe("HOST    PID\nlab1    123\nlonger  7");
    expect(mib(87 * 1024 ** 2)).toBe("87 MiB");
    expect(mib(undefined)).toBe("-");
  });
});

describe("parseProbe", () => {
  it("reads the state and the failed units", () => {
    expect(parseProbe("state=degraded\nfailed=nvmf-autoconnect.service\nfailed=x.mount\n")).toEqual({
      state: "degraded",
      failed: ["nvmf-autoconnect.service", "x.mount"],
    });
    expect(parseProbe("state=running\n")).toEqual({ state: "running", failed: [] });
  });
});

describe("missingPackages", () => {
  it("maps missing commands to their Debian packages, once each", () => {
    expect(missingPackages(() => true)).toEqual([]);
    expect(missingPackages((c) => c !== "ssh" && c !== "ssh-keygen" && c !== "nft")).toEqual(["nftables", "openssh-client"]);
  });
});

describe("summariseRemoved", () => {
  it("counts cgroup directories and names the rest", () => {
    expect(summariseRemoved(["/sys/fs/cgroup/cpu/ie-lab/lab1", "/sys/fs/cgroup/cpu/ie-lab", "bridge ie-lab0"])).toEqual([
      "bridge ie-lab0",
      "2 cgroup directories",
    ]);
  });
});
