import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forgetHosts, loadState, saveState, type ResourceRecord } from "./state";

const digests = { inputs: "i", triggers: "t" };
const command = (name: string, host: string): ResourceRecord => ({ type: "command:remote:Command", name, host, digests, outputs: {} });

function stateFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "lab-state-")), "lab.json");
  saveState(path, {
    version: 1,
    resources: {
      a: command("lab1-base", "10.77.0.11"),
      b: command("lab2-base", "10.77.0.12"),
      key: { type: "random:index/randomBytes:RandomBytes", name: "munge-key", digests, outputs: { base64: "k" } },
    },
  });
  return path;
}

describe("forgetHosts: hosts made anew start with nothing applied", () => {
  it("drops the commands of the named hosts only, and keeps generated values", () => {
    const path = stateFile();
    expect(forgetHosts(path, ["10.77.0.12"])).toBe(1);
    expect(Object.keys(loadState(path).resources).sort()).toEqual(["a", "key"]);
  });

  it("drops every host's commands when no address is named (lab down)", () => {
    const path = stateFile();
    expect(forgetHosts(path)).toBe(2);
    expect(Object.keys(loadState(path).resources)).toEqual(["key"]);
  });

  it("does nothing without a state file", () => {
    expect(forgetHosts(join(tmpdir(), "no-such-dir-for-lab-state", "lab.json"))).toBe(0);
  });
});
