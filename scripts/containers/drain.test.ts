/**
 * drain.sh run for real on this machine, against stand-ins for podman, getent and sleep that play a container
 * host whose running containers each test sets (the lab runs it against real Podman). Time passes only in the
 * stand-in `sleep`, which can make the containers end after a number of waits.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuditRecord, auditLine } from "../../ie-podman/audit";
import { OWNER_LABEL } from "../../ie-podman/policy";

const SCRIPT = join(__dirname, "drain.sh");
const TRAIN = `${"3f2a".repeat(16)} 2001 train`;
const NOTEBOOK = `${"9c1d".repeat(16)} 2002 notebook`;
const STRANGER = `${"77aa".repeat(16)} 4242 odd`;

let dir = "";
let state = "";
let auditLog = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drain-sh-"));
  state = join(dir, "state");
  auditLog = join(dir, "log", "ie-podman", "audit.log");
  mkdirSync(state);
  standIns();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function standIns(): void {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const scripts: Record<string, string> = {
    // `ps` prints the rows of state/running (the stand-in applies no filter: the script asks for the label);
    // `rm` drops a row.
    podman: `
echo "podman $*" >> ${dir}/calls
case "$1" in
  ps) cat ${state}/running 2>/dev/null || true ;;
  rm) id="\${@: -1}"; sed -i "/^$id /d" ${state}/running ;;
  *) exit 9 ;;
esac`,
    getent: `
case "$2" in
  2001) echo "alice:x:2001:2001::/home/alice:/bin/bash" ;;
  2002) echo "bob:x:2002:2002::/home/bob:/bin/bash" ;;
  *) exit 2 ;;
esac`,
    // Time passes here: with state/end-after N, the containers end during the Nth wait.
    sleep: `
echo "sleep $*" >> ${dir}/calls
if [[ -f ${state}/end-after ]]; then
  n=$(($(cat ${state}/end-after) - 1)); echo $n > ${state}/end-after
  ((n > 0)) || : > ${state}/running
fi`,
  };
  for (const [name, body] of Object.entries(scripts)) writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
}

function drain(timeout: number, force: "yes" | "no", ...extra: string[]) {
  const r = spawnSync("bash", [SCRIPT, String(timeout), force, OWNER_LABEL, auditLog, ...extra], {
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: `${join(dir, "bin")}:/usr/sbin:/usr/bin:/sbin:/bin` },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const running = (...rows: string[]) => writeFileSync(join(state, "running"), rows.map((r) => `${r}\n`).join(""));
const calls = (): string[] => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []);
const sleeps = () => calls().filter((c) => c.startsWith("sleep "));
const removals = () => calls().filter((c) => c.startsWith("podman rm "));
const auditLines = (): string[] => (existsSync(auditLog) ? readFileSync(auditLog, "utf8").trim().split("\n") : []);

describe("drain.sh", () => {
  it("is done at once when no container of ie-podman runs", () => {
    const r = drain(3600, "no");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("drained: no container of ie-podman runs here\n");
    expect(sleeps()).toEqual([]);
    // Only ie-podman's containers, by its owner label, and only running ones (no --all).
    expect(calls()).toEqual([`podman ps --no-trunc --filter label=${OWNER_LABEL} --format {{.ID}} {{index .Labels "${OWNER_LABEL}"}} {{.Names}}`]);
  });

  it("lists the running containers (owner, name) every 30 s and is done when they have ended", () => {
    running(TRAIN, NOTEBOOK);
    writeFileSync(join(state, "end-after"), "2");
    const r = drain(3600, "no");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("waiting for 2 container(s) of ie-podman to end, 3600s left:\n  alice (uid 2001): train (3f2a3f2a3f2a)\n  bob (uid 2002): notebook (9c1d9c1d9c1d)\n");
    expect(r.stdout).toContain("waiting for 2 container(s) of ie-podman to end, 3570s left:");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("drained: no container of ie-podman runs here");
    expect(sleeps()).toEqual(["sleep 30", "sleep 30"]);
    expect(removals()).toEqual([]);
  });

  it("without force, leaves what still runs at the timeout to the admins, says so and succeeds", () => {
    running(TRAIN);
    const r = drain(75, "no");
    expect(r.status).toBe(0);
    expect(sleeps()).toEqual(["sleep 30", "sleep 30", "sleep 15"]);
    expect(r.stdout).toContain("left running after 75s: 1 container(s) of ie-podman; removing them is the admins' call (force: true stops and removes them):\n  alice (uid 2001): train (3f2a3f2a3f2a)\n");
    expect(removals()).toEqual([]);
    expect(existsSync(auditLog)).toBe(false);
  });

  it("with force, stops and removes each at the timeout and writes it to ie-podman's audit log under its owner", () => {
    running(TRAIN, STRANGER);
    const r = drain(30, "yes");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(removals()).toEqual([`podman rm --force --time=10 --ignore -- ${"3f2a".repeat(16)}`, `podman rm --force --time=10 --ignore -- ${"77aa".repeat(16)}`]);
    expect(r.stdout).toContain("changed: stopped and removed train (3f2a3f2a3f2a) of alice (uid 2001)");
    expect(r.stdout).toContain("changed: stopped and removed odd (77aa77aa77aa) of uid 4242 (uid 4242)");

    const lines = auditLines();
    expect(lines).toHaveLength(2);
    const records = lines.map((l) => JSON.parse(l) as AuditRecord);
    // ie-podman's own format: the same keys in the same order, one compact JSON line each.
    lines.forEach((line, i) => expect(`${line}\n`).toBe(auditLine(records[i])));
    expect(records[0]).toMatchObject({ uid: 2001, user: "alice", verb: "drain", args: ["3f2a".repeat(16)], decision: "done" });
    expect(records[0].detail).toBe("stopped and removed train (3f2a3f2a3f2a) of alice: the host is drained for the refresh and it still ran after drainTimeout 30s (force: true)");
    expect(new Date(records[0].time).toISOString()).toBe(records[0].time);
    expect(records[1]).toMatchObject({ uid: 4242, user: "uid 4242", args: ["77aa".repeat(16)] });
    expect(statSync(auditLog).mode & 0o777).toBe(0o600);

    // Again: nothing runs any more, nothing is removed or logged twice.
    const again = drain(30, "yes");
    expect(again.stdout).toBe("drained: no container of ie-podman runs here\n");
    expect(auditLines()).toHaveLength(2);
  });

  it("appends to an audit log that exists", () => {
    mkdirSync(join(dir, "log", "ie-podman"), { recursive: true });
    writeFileSync(auditLog, '{"time":"2026-01-01T00:00:00.000Z","uid":2001,"user":"alice","verb":"ps","args":[],"decision":"allowed","detail":"list"}\n');
    running(NOTEBOOK);
    expect(drain(1, "yes").status).toBe(0);
    expect(auditLines()).toHaveLength(2);
    expect(JSON.parse(auditLines()[1])).toMatchObject({ user: "bob", verb: "drain" });
  });

  it.each([
    [["3600", "maybe", OWNER_LABEL, "/var/log/ie-podman/audit.log"]],
    [["1h", "no", OWNER_LABEL, "/var/log/ie-podman/audit.log"]],
    [["3600", "no", OWNER_LABEL, "audit.log"]],
    [["3600", "no", "a label; rm -rf /", "/var/log/ie-podman/audit.log"]],
    [["3600", "no", OWNER_LABEL]],
  ])("refuses the arguments %j with its usage", (args) => {
    const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin` } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: drain.sh TIMEOUT_SECONDS yes\|no OWNER_LABEL AUDIT_LOG/);
    expect(calls()).toEqual([]);
  });
});
