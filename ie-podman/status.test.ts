import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { statusText, statusUids, writeStatus } from "./status";
import type { PsRow } from "./verbs/ps";

const NOW = 1_800_000_000;
const dir = mkdtempSync(join(tmpdir(), "ie-podman-status-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows: PsRow[] = [
  { id: "a", name: "web", image: "x", state: "running", ip: "10.89.60.2", gpus: [0] },
  { id: "b", name: "old", image: "x", state: "exited", gpus: [], stoppedForSeconds: 6 * 86400, removedInSeconds: 86400 },
  { id: "c", name: "odd", image: "x", state: "exited", gpus: [], stoppedForSeconds: 60 },
];

describe("the login message's status file", () => {
  it("holds one tab-separated line per container with the removal time as a unix time", () => {
    expect(statusText(rows, 2001, NOW)).toBe(
      `# ie-podman: containers of uid 2001 at ${NOW}\nweb\trunning\t10.89.60.2\t-\nold\texited\t-\t${NOW + 86400}\nodd\texited\t-\t-\n`,
    );
  });

  it("is written atomically, root-owned, readable by the user's group only, in a directory nobody lists", () => {
    const sub = join(dir, "status");
    const gid = process.getgid?.() ?? 0;
    writeStatus(sub, 2001, gid, statusText(rows, 2001, NOW));
    writeStatus(sub, 2001, gid, statusText([], 2001, NOW + 60));
    const file = join(sub, "2001.tsv");
    expect(readFileSync(file, "utf8")).toBe(`# ie-podman: containers of uid 2001 at ${NOW + 60}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(file).gid).toBe(gid);
    expect(statSync(sub).mode & 0o777).toBe(0o711);
    expect(statusUids(sub)).toEqual([2001]);
    expect(statusUids(join(dir, "missing"))).toEqual([]);
  });
});
