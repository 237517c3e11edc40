import { describe, expect, it } from "vitest";
import { DEFAULT_MIRROR, debianMirrorFromSources, mirrorHostNames } from "./mirror";

const deb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

describe("debianMirrorFromSources", () => {
  it("finds the archive and the security archive in deb822 sources", () => {
    expect(debianMirrorFromSources([deb822])).toEqual({
      archive: "http://deb.debian.org/debian",
      security: "http://deb.debian.org/debian-security",
    });
  });

  it("reads one-line sources with options and ignores other vendors' repositories", () => {
    const list = [
      "deb https://packages.example.com/apt stable main",
      "deb [arch=amd64 signed-by=/k.gpg] http://ftp.fr.debian.org/debian/ bookworm main",
      "deb http://security.debian.org/debian-security bookworm-security main",
    ].join("\n");
    expect(debianMirrorFromSources([list])).toEqual({
      archive: "http://ftp.fr.debian.org/debian",
      security: "http://security.debian.org/debian-security",
    });
  });

  it("falls back to deb.debian.org when nothing names Debian", () => {
    expect(debianMirrorFromSources(["URIs: https://deb.nodesource.com/node_20.x\n"])).toEqual(DEFAULT_MIRROR);
  });
});

describe("mirrorHostNames", () => {
  it("lists each host once", () => {
    expect(mirrorHostNames(DEFAULT_MIRROR)).toEqual(["deb.debian.org"]);
    expect(mirrorHostNames({ archive: "http://a.example/debian", security: "http://b.example/debian-security" })).toEqual([
      "a.example",
      "b.example",
    ]);
  });
});
