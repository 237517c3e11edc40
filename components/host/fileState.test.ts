/**
 * What a ManagedFile keeps in the state and the provider's diff over it: pure, table-tested. Includes the
 * shape an older version wrote (no `keep`, an agent socket path in the connection).
 */
import { describe, expect, it } from "vitest";
import { digestOf, normalState, planStateChange, type ContentFileState, type DigestFileState, type ManagedFileState } from "./fileState";

const connection = { host: "10.0.0.1", port: 22, user: "root", hostKey: "ssh-ed25519 AAAA" };
const kept: ContentFileState = { connection, path: "/etc/a", content: "x\n", encoding: "utf8", mode: "0644", owner: "root:root", secret: false, keep: "content" };
const bundle = Buffer.from("#!/usr/bin/node\nconsole.log(1)\n");
const byDigest: DigestFileState = { ...kept, keep: "sha256", ...digestOf(bundle) };

describe("planStateChange: the provider's diff after a refresh", () => {
  it.each<[string, ManagedFileState, ManagedFileState, string[], string[]]>([
    ["nothing when the host has what the stack wants", kept, kept, [], []],
    ["content after a hand edit", { ...kept, content: "edited\n" }, kept, ["content"], []],
    ["mode written as 644 or 0644 alike", { ...kept, mode: "644" }, kept, [], []],
    ["mode and owner", { ...kept, mode: "0600", owner: "munge:munge" }, kept, ["mode", "owner"], []],
    ["the whole file when it disappeared", { ...kept, observed: "absent" }, kept, ["content"], []],
    ["a replacement for a new path", kept, { ...kept, path: "/etc/b" }, ["path"], ["path"]],
    ["a replacement for another host", kept, { ...kept, connection: { ...connection, host: "10.0.0.2" } }, ["connection"], ["connection"]],
    ["nothing for a digest-kept file whose digest matches", byDigest, byDigest, [], []],
    ["the digest when the host's binary changed", { ...byDigest, ...digestOf(Buffer.from("other")) }, byDigest, ["sha256"], []],
    ["only the way of keeping when a content-kept file moves to its digest", { ...kept, content: bundle.toString("utf8") }, byDigest, ["keep"], []],
  ])("%s", (_what, old, next, changes, replaces) => {
    expect(planStateChange(old, next)).toEqual({ changes, replaces });
  });
});

describe("normalState", () => {
  it("reads a state written by the previous version: no keep, an agent socket path that is dropped", () => {
    const old = { connection: { ...connection, agentSocketPath: "/tmp/ssh-XXXX/agent.42" }, path: "/etc/a", content: "x\n", encoding: "utf8", mode: "0644", owner: "root:root", secret: false, observed: "file", __provider: "exports.handler = ..." };
    expect(normalState(old)).toEqual({ ...kept, observed: "file" });
  });

  it("names what is missing", () => {
    expect(() => normalState({ connection: { host: "h" }, path: "/x" })).toThrow(/connection\.hostKey/);
    expect(() => normalState({ path: "/x" })).toThrow(/no connection/);
  });
});
