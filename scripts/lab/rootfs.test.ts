import { describe, expect, it } from "vitest";
import { BASE_PACKAGES, LAB_SUITE, baseRootfsName, prepareHostArguments } from "./rootfs";

describe("baseRootfsName", () => {
  const recipe = { suite: LAB_SUITE, packages: BASE_PACKAGES, archive: "http://deb.debian.org/debian" };

  it("is keyed by suite and a hash of the package list, whatever the order", () => {
    expect(baseRootfsName(recipe)).toMatch(/^trixie-[0-9a-f]{12}$/);
    expect(baseRootfsName({ ...recipe, packages: [...BASE_PACKAGES].reverse() })).toBe(baseRootfsName(recipe));
  });

  it("changes with the packages, the suite or the mirror", () => {
    const name = baseRootfsName(recipe);
    expect(baseRootfsName({ ...recipe, packages: [...BASE_PACKAGES, "less"] })).not.toBe(name);
    expect(baseRootfsName({ ...recipe, suite: "forky" })).toMatch(/^forky-/);
    expect(baseRootfsName({ ...recipe, archive: "http://ftp.fr.debian.org/debian" })).not.toBe(name);
  });

  it("boots a host that has sshd with SFTP (files are copied over SFTP)", () => {
    expect(BASE_PACKAGES).toEqual(expect.arrayContaining(["systemd", "systemd-sysv", "dbus", "openssh-server", "openssh-sftp-server"]));
  });
});

describe("prepareHostArguments", () => {
  it("passes removals, units to enable and units to mask", () => {
    expect(
      prepareHostArguments("/b", "/h", "/o", { directories: [], files: [], remove: ["/x"], enable: ["a.service"], mask: ["m.timer"] }),
    ).toEqual(["/b", "/h", "/o", "--remove", "/x", "--enable", "a.service", "--mask", "m.timer"]);
  });
});
