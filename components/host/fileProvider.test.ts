/**
 * The provider's failures as the engine shows them: plain Errors whose message says what is wrong and where.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { create, diff, wantedBytes } from "./fileProvider";
import { BLOB_DIR, digestOf, type DigestFileState } from "./fileState";

const connection = { host: "10.0.0.1", port: 22, user: "root", hostKey: "ssh-ed25519 AAAA" };
const bytes = Buffer.from("#!/usr/bin/node\n");
const kept: DigestFileState = { connection, path: "/usr/local/bin/x", mode: "0755", owner: "root:root", secret: false, keep: "sha256", ...digestOf(bytes) };

describe("the bytes of a file kept by digest", () => {
  it("come from the staged blob, verified", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blobs-"));
    fs.mkdirSync(path.join(dir, BLOB_DIR), { recursive: true });
    fs.writeFileSync(path.join(dir, BLOB_DIR, kept.sha256), bytes);
    expect(wantedBytes(kept, dir).equals(bytes)).toBe(true);
    fs.writeFileSync(path.join(dir, BLOB_DIR, kept.sha256), "tampered");
    expect(() => wantedBytes(kept, dir)).toThrow(/has sha256 [0-9a-f]{64}, not /);
    fs.rmSync(dir, { recursive: true });
  });

  it("say where they were expected when nothing is staged", async () => {
    const missing = { ...kept, ...digestOf(Buffer.from("never staged")) };
    const err: unknown = await create({ ...missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
    expect((err as Error).message).toMatch(/^10\.0\.0\.1:\/usr\/local\/bin\/x: its content \(sha256 [0-9a-f]{64}, 12 bytes\) is not staged at .*dist\/blobs\//);
  });
});

it("refuses properties without a connection with a plain Error naming what is missing", async () => {
  const err: unknown = await diff("id", {}, { path: "/x" }).catch((e: unknown) => e);
  expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
  expect((err as Error).message).toBe("ManagedFile: the ManagedFile's properties have no connection");
});
