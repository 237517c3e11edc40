import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { VERBS, main, overview } from "./cli";
import { parseProbe } from "./check";
import { formatTable, mib, summariseRemoved } from "./format";
import { missingPackages } from "./prereqs";

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

  it("wants a host for ssh", async () => {
    expect(await main(["ssh"])).toBe(2);
    expect(await main(["ssh", "nosuchhost", "true"])).toBe(1);
    expect(printed(err)).toContain("no lab host 'nosuchhost': the lab has lab1, lab2, lab3");
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
