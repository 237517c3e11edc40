import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadHostConfig } from "./config";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function written(value: unknown): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe("loadHostConfig", () => {
  // zod/mini says only "Invalid input" unless its English messages are loaded (zod-messages.ts).
  it("names the file, the field and what was expected", () => {
    const file = written({ network: "ie-podman", pool: 7 });
    expect(() => loadHostConfig(file)).toThrow(`${file}: pool: Invalid input: expected string, received number`);
  });

  it("names a failed check's bound", () => {
    const file = written({ network: "ie-podman", pool: "10.89.60.0/22", gpus: -1 });
    expect(() => loadHostConfig(file)).toThrow(/gpus: Too small: expected number to be >=0/);
  });
});
