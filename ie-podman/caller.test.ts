import { describe, expect, it } from "vitest";
import { identify, parsePasswdLine, type PasswdEntry } from "./caller";

const passwd: Record<number, PasswdEntry> = {
  2001: { name: "alice", uid: 2001, gid: 2001, home: "/home/alice" },
  101: { name: "munge", uid: 101, gid: 101, home: "/nonexistent" },
};
const lookup = (uid: number) => passwd[uid];

describe("who is asking", () => {
  it("is the user sudo names, with name and home from passwd", () => {
    expect(identify(0, { SUDO_UID: "2001", SUDO_GID: "2001", SUDO_USER: "mallory" }, lookup)).toEqual({
      kind: "user",
      caller: { uid: 2001, gid: 2001, user: "alice", home: "/home/alice" },
    });
  });

  it("is the admin as root without sudo or through sudo from root, and nobody yet without root", () => {
    expect(identify(0, {}, lookup)).toEqual({ kind: "admin" });
    expect(identify(0, { SUDO_UID: "0", SUDO_GID: "0" }, lookup)).toEqual({ kind: "admin" });
    expect(identify(2001, { SUDO_UID: "0" }, lookup)).toEqual({ kind: "unprivileged" });
  });

  it("refuses system accounts, unknown uids and malformed sudo variables", () => {
    expect(() => identify(0, { SUDO_UID: "101", SUDO_GID: "101" }, lookup)).toThrow(/system account/);
    expect(() => identify(0, { SUDO_UID: "4242", SUDO_GID: "4242" }, lookup)).toThrow(/no passwd entry/);
    expect(() => identify(0, { SUDO_UID: "2001 ", SUDO_GID: "2001" }, lookup)).toThrow(/not numeric/);
    expect(() => identify(0, { SUDO_UID: "2001" }, lookup)).toThrow(/not numeric/);
  });

  it("reads getent's passwd lines", () => {
    expect(parsePasswdLine("alice:x:2001:2001:Alice:/home/alice:/bin/bash\n")).toEqual({ name: "alice", uid: 2001, gid: 2001, home: "/home/alice" });
    expect(parsePasswdLine("broken")).toBeUndefined();
  });
});
