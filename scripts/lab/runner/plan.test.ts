import { describe, expect, it } from "vitest";
import { canonicalJson, commandFor, digestsOf, planStep, type CommandInputs } from "./plan";

const base: CommandInputs = {
  connection: { host: "10.77.0.11", port: 22, user: "root", hostKey: "ssh-ed25519 AAAA", privateKey: "KEY" },
  create: "bash -c 'install'",
  update: "bash -c 'restart'",
  stdin: "content",
  triggers: ["abc"],
};

describe("planStep: what pulumi up does with a command resource", () => {
  it.each<[string, CommandInputs | undefined, CommandInputs, string]>([
    ["creates a resource it has never seen", undefined, base, "create"],
    ["does nothing when no input changed", base, { ...base }, "same"],
    ["ignores key order", base, { triggers: ["abc"], stdin: "content", update: base.update, create: base.create, connection: base.connection }, "same"],
    ["updates when stdin changed", base, { ...base, stdin: "other" }, "update"],
    ["updates when the connection's host key changed", base, { ...base, connection: { ...base.connection, hostKey: "ssh-ed25519 BBBB" } }, "update"],
    ["updates when the connection's private key changed", base, { ...base, connection: { ...base.connection, privateKey: "OTHER" } }, "update"],
    ["updates when the command changed", base, { ...base, create: "bash -c 'v2'" }, "update"],
    ["replaces when a trigger changed", base, { ...base, triggers: ["def"] }, "replace"],
    ["replaces when a trigger was added", base, { ...base, triggers: ["abc", "x"] }, "replace"],
  ])("%s", (_what, previous, next, expected) => {
    expect(planStep(previous ? digestsOf(previous) : undefined, digestsOf(next))).toBe(expected);
  });
});

describe("commandFor", () => {
  it("runs update on update, create on create and replace, nothing when unchanged", () => {
    expect(commandFor("update", base)).toBe(base.update);
    expect(commandFor("create", base)).toBe(base.create);
    expect(commandFor("replace", base)).toBe(base.create);
    expect(commandFor("same", base)).toBeUndefined();
  });
  it("falls back to create when there is no update command", () => {
    expect(commandFor("update", { ...base, update: undefined })).toBe(base.create);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
