import { describe, expect, it } from "vitest";
import { OPERATING_SYSTEMS } from "../inventory/schema";
import { osProfile } from "./os";
import { readScript } from "./scripts";

describe("osProfile", () => {
  it.each([
    ["debian-12", "debian", "bookworm"],
    ["debian-13", "debian", "trixie"],
    ["ubuntu-22.04", "ubuntu", "jammy"],
    ["ubuntu-24.04", "ubuntu", "noble"],
  ] as const)("knows %s as %s %s of the apt family", (os, distribution, codename) => {
    expect(osProfile(os)).toMatchObject({ os, family: "apt", distribution, codename });
  });

  it("has a base script that exists for every OS the schema accepts", () => {
    for (const os of OPERATING_SYSTEMS) {
      expect(readScript(osProfile(os).baseScript)).toMatch(/^#!\/usr\/bin\/env bash\n/);
    }
  });
});

describe("readScript", () => {
  it("refuses paths outside scripts/", () => {
    expect(() => readScript("../package.json")).toThrow(/stay inside it/);
    expect(() => readScript("/etc/passwd")).toThrow(/relative to scripts/);
  });
});
