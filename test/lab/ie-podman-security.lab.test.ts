/**
 * ie-podman attacked by a student, on a real container host (Debian 13's nodejs 20.19, which reads
 * `--env-file` among a script's words): mallory (uid 3103) puts a payload in her home and hands its name
 * to ie-podman in every position of every verb, in every option family of node, in her environment, and
 * aimed at ie-podman's callees (podman, apptainer). No file may appear as root, every attempt must be in
 * the audit log, and the ledger must not change. Then fair share: caps per user, a ceiling per container,
 * and a container that eats past its memory limit dies alone while a Slurm job on the same host finishes.
 * The transcript is kept in .lab/transcripts/ie-podman-security.txt.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELP } from "../../ie-podman/help";
import { asUser, containerCount as containerCountOn, ensureBaseImage, must, onHost, projectRoot, removeContainersOf, shellQuote, waitFor, type Run } from "./support";

const HOST = "lab2";
const CONTROLLER = "lab1";
const ENV_FILE = "/home/mallory/x.env";
const PAYLOAD = "/home/mallory/x.js";
const MODULE_PAYLOAD = "/home/mallory/x.mjs";
const transcript: string[] = [];

function as(user: string, command: string, host = HOST): Run {
  const r = asUser(host, user, command);
  transcript.push(`${user}@${host}:~$ ${command}`, ...[r.stdout, r.stderr].filter((t) => t.trim() !== "").map((t) => t.trimEnd()), ...(r.code !== 0 ? [`[exit ${r.code}]`] : []));
  return r;
}

/** Root files the payload would leave: /tmp/pwned-<uid> as whoever ran it. */
const pwnedFiles = () => must(onHost(HOST, "ls /tmp/ | grep '^pwned-' || true"), "list pwned").trim();
const ledgerSum = () => must(onHost(HOST, "/usr/local/bin/ie-podman reap --dry-run >/dev/null && sha256sum < /var/lib/ie-podman/ledger.json"), "ledger sum").trim();
const auditLines = (): Record<string, unknown>[] =>
  must(onHost(HOST, "cat /var/log/ie-podman/audit.log"), "audit").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const containerCount = () => containerCountOn(HOST);
const removeAllOf = (user: string) => removeContainersOf(HOST, user);

/** One attempt: the words mallory hands to ie-podman, and the environment she runs it with. */
interface Attempt {
  readonly words: readonly string[];
  readonly env?: string;
  /** An ordinary command that may succeed (the attack is in the environment). Defaults to false. */
  readonly mayPass?: boolean;
}

/**
 * Runs every attempt as mallory in one session (each a separate ie-podman process), one JSON line each with
 * its exit status, and returns them in order.
 */
function attempt(attempts: readonly Attempt[]): number[] {
  const script = attempts.map((a) => `${a.env ?? ""} ie-podman ${a.words.map(shellQuote).join(" ")} </dev/null >/dev/null 2>&1; echo $?`).join("\n");
  const out = must(asUser(HOST, "mallory", script), "mallory's attempts");
  return out.trim().split("\n").map(Number);
}

/** The runtime's option families, pointing at mallory's payload. */
const NODE_VECTORS = [
  `--env-file=${ENV_FILE}`,
  `--env-file-if-exists=${ENV_FILE}`,
  `--require=${PAYLOAD}`,
  `--import=${MODULE_PAYLOAD}`,
  "--inspect=127.0.0.1:9229",
  `--experimental-loader=${MODULE_PAYLOAD}`,
  "--experimental-default-type=module",
];

/** A value-taking option of each verb, for the "as an option's value" position. */
const VALUE_OPTION: Readonly<Record<string, string>> = { run: "--name", exec: "-e", logs: "--tail", stop: "-t", rm: "-t", build: "-t" };

/** Every position a word can take, for one verb. */
function positions(verb: string, vector: string): string[][] {
  return [
    [vector, verb],
    [verb, vector],
    [verb, VALUE_OPTION[verb] ?? "--json", vector],
    [verb, "--", vector],
    [verb, "localhost/nope", "echo", vector],
    [verb, "localhost/nope", "--", vector],
  ];
}

/** Words aimed at ie-podman's callees: podman's and apptainer's own options where a name or image goes. */
const CALLEE_WORDS = ["--all", "--privileged", "--format={{.HostConfig}}", "--root=/home/mallory/store", "--url=unix:///home/mallory/sock", "--latest", "--nv"];

beforeAll(() => {
  ensureBaseImage(HOST);
  removeAllOf("mallory");
  removeAllOf("bob");
  must(onHost(HOST, "rm -f /tmp/pwned-*"), "clean");
  must(
    asUser(
      HOST,
      "mallory",
      `printf 'NODE_OPTIONS=--require ${PAYLOAD}\\n' > ${ENV_FILE}
printf 'require("fs").writeFileSync("/tmp/pwned-"+process.getuid(),"")\\n' > ${PAYLOAD}
printf 'import {writeFileSync} from "fs"; writeFileSync("/tmp/pwned-"+process.getuid(),"")\\n' > ${MODULE_PAYLOAD}`,
    ),
    "mallory's payload",
  );
}, 300_000);

afterAll(() => {
  removeAllOf("mallory");
  removeAllOf("bob");
  const dir = join(projectRoot, ".lab", "transcripts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ie-podman-security.txt"), `${transcript.join("\n")}\n`);
  console.log(`ie-podman's security and fair share on ${HOST}:\n${transcript.join("\n")}`);
}, 300_000);

describe("a student's words never reach the root process's runtime, nor its callees, as options", () => {
  it("proves the payload works: mallory's own node runs it as mallory", () => {
    must(as("mallory", `node /dev/null --env-file=${ENV_FILE}; ls /tmp | grep pwned; rm -f /tmp/pwned-3103`), "control");
    expect(transcript.join("\n")).toContain("pwned-3103");
  });

  it("runs nothing as root from any node option, in any position of any verb, and records every attempt", () => {
    const before = { ledger: ledgerSum(), audit: auditLines().length, containers: containerCount() };
    const verbs = [...Object.keys(HELP), "frobnicate"];
    // --env-file in every position of every verb; the rest of the family in every position of run.
    const attempts: Attempt[] = [
      ...verbs.flatMap((verb) => positions(verb, NODE_VECTORS[0]).map((words) => ({ words }))),
      ...NODE_VECTORS.slice(1).flatMap((vector) => positions("run", vector).map((words) => ({ words }))),
      { words: ["ps"], env: `NODE_OPTIONS=${shellQuote(`--require ${PAYLOAD}`)}`, mayPass: true },
      { words: ["run", "--rm", "localhost/nope"], env: `NODE_OPTIONS=${shellQuote(`--import ${MODULE_PAYLOAD}`)} NODE_DEBUG=fs` },
    ];
    const statuses = attempt(attempts);
    transcript.push(`mallory@${HOST}:~$ (${attempts.length} ie-podman invocations: ${NODE_VECTORS.join(", ")}; before the verb, as an option, as an option's value, as the image, as the container's command, after --; NODE_OPTIONS in her environment)`);
    transcript.push(`exit statuses: ${[...new Set(statuses)].sort().map((s) => `${s} x${statuses.filter((x) => x === s).length}`).join(", ")}`);
    transcript.push(`root@${HOST}:~# ls /tmp | grep pwned`, pwnedFiles() || "(none)");
    expect(pwnedFiles()).toBe("");
    statuses.forEach((s, i) => {
      if (attempts[i].mayPass !== true) expect(s, `ie-podman ${attempts[i].words.join(" ")}`).not.toBe(0);
    });
    const after = auditLines();
    const mallorys = after.slice(before.audit).filter((l) => l.uid === 3103);
    for (const a of attempts) {
      const [verb, ...args] = a.words;
      const seen = mallorys.some((l) => l.verb === verb && JSON.stringify(l.args) === JSON.stringify(args));
      expect(seen, `no audit line for: ie-podman ${a.words.join(" ")}`).toBe(true);
    }
    transcript.push(`audit log: ${mallorys.length} lines of mallory's for ${attempts.length} attempts, e.g. ${JSON.stringify(mallorys[1])}`);
    expect(ledgerSum()).toBe(before.ledger);
    expect(containerCount()).toBe(before.containers);
  });

  it("hands the words to the container as data: --env-file reaches echo, not node", () => {
    const out = must(as("mallory", `ie-podman run --rm base echo --env-file=${ENV_FILE}`), "echo");
    expect(out.trim()).toBe(`--env-file=${ENV_FILE}`);
    expect(pwnedFiles()).toBe("");
  });

  it("lets no word reach podman or apptainer as an option: names resolve among the caller's containers, after --", () => {
    const before = { ledger: ledgerSum(), containers: containerCount() };
    const verbs = ["stop", "start", "rm", "logs", "exec", "inspect", "sif"];
    const attempts: Attempt[] = verbs.flatMap((verb) => CALLEE_WORDS.flatMap((w) => [{ words: [verb, w] }, { words: [verb, "--", w] }, { words: [verb, "--", w, "true"] }]));
    attempts.push({ words: ["build", "-t", "x", "--", "--file=/etc/shadow"] }, { words: ["images", "--filter=dangling=true"] }, { words: ["run", "--rm", "--", "--privileged"] });
    const statuses = attempt(attempts);
    transcript.push(`mallory@${HOST}:~$ (${attempts.length} invocations aimed at podman and apptainer: ${CALLEE_WORDS.join(" ")} as names, after --, and as build contexts)`);
    transcript.push(`exit statuses: ${[...new Set(statuses)].sort().map((s) => `${s} x${statuses.filter((x) => x === s).length}`).join(", ")}`);
    statuses.forEach((s, i) => expect(s, `ie-podman ${attempts[i].words.join(" ")}`).not.toBe(0));
    const r = as("mallory", "ie-podman rm -f -- --all");
    expect(r.stderr).toContain("no container of yours is called '--all'");
    expect(ledgerSum()).toBe(before.ledger);
    expect(containerCount()).toBe(before.containers);
    expect(pwnedFiles()).toBe("");
  });
});

describe("fair share, declared in the stack", () => {
  it("refuses one user's address past their cap, naming it, while another user still gets one", () => {
    for (let i = 1; i <= 3; i++) must(as("bob", `ie-podman run -d --ip --name addr-${i} base sleep 300`), `bob's address ${i}`);
    const fourth = as("bob", "ie-podman run -d --ip --name addr-4 base sleep 300");
    expect(fourth.code).toBe(2);
    expect(fourth.stderr).toContain("--ip: refused: you hold 3 addresses and the cap is 3 (containers.maxAddressesPerUser)");
    const malloryIp = must(as("mallory", "ie-podman run --rm --ip base sh -c 'ip -4 -o addr show eth0'"), "mallory's address");
    expect(malloryIp).toMatch(/inet 10\.89\.6[0-3]\.\d+\/22/);
    removeAllOf("bob");
  });

  it("refuses a GPU past the per-user cap and a memory ceiling, saying which", () => {
    must(as("bob", "ie-podman run -d --gpu --name gpu-1 base sleep 300"), "bob's GPU");
    const second = as("bob", "ie-podman run -d --gpu base sleep 300");
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("cap is 1 (containers.maxGpusPerUser)");
    const big = as("bob", "ie-podman run --rm --memory=2g base true");
    expect(big.code).toBe(2);
    expect(big.stderr).toContain("--memory: '2g' is above the ceiling of 1 GiB (containers.limits.memory.max)");
    removeAllOf("bob");
  });

  it("gives every container the stack's defaults when it asks for nothing", () => {
    must(as("bob", "ie-podman run -d --name plain base sleep 300"), "plain");
    const limits = must(onHost(HOST, `PODMAN_IGNORE_CGROUPSV1_WARNING=1 podman inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.ShmSize}}' plain`), "inspect");
    transcript.push(`root@${HOST}:~# podman inspect --format '{{Memory}} {{MemorySwap}} {{NanoCpus}} {{PidsLimit}} {{ShmSize}}' plain`, limits.trim());
    expect(limits.trim()).toBe(`${256 * 1024 ** 2} ${256 * 1024 ** 2} 1000000000 512 ${64 * 1024 ** 2}`);
    removeAllOf("bob");
  });

  it("OOM-kills a container that allocates past its limit in its own cgroup, while a Slurm job on the host runs on", async () => {
    const job = must(as("alice", "sbatch --parsable -w lab2 --job-name beside-oom --output /home/alice/beside-oom-%j.out --wrap 'sleep 25; echo job finished on $(hostname)'", CONTROLLER), "sbatch").trim();
    await waitFor("the job to run", () => (/JobState=RUNNING/.test(asUser(CONTROLLER, "alice", `scontrol show job ${job}`).stdout) ? true : undefined), 120_000, 2000);
    const eater = as("bob", "ie-podman run --memory=256m --name eater base sh -c 'a=$(head -c 536870912 /dev/zero | tr \"\\0\" a); echo survived ${#a}'");
    expect(eater.code).toBe(137);
    expect(eater.stdout).not.toContain("survived");
    const state = must(as("bob", "ie-podman inspect eater | grep -E '\"(OOMKilled|ExitCode)\"'"), "inspect eater");
    expect(state).toMatch(/"OOMKilled": true/);
    const done = await waitFor(
      "the Slurm job to finish",
      () => {
        const out = asUser(CONTROLLER, "alice", `scontrol show job ${job}`).stdout;
        return /JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)/.exec(out)?.[1];
      },
      120_000,
      2000,
    );
    transcript.push(`alice@${CONTROLLER}:~$ scontrol show job ${job} | grep -o 'JobState=[A-Z]*'`, `JobState=${done}`);
    expect(done).toBe("COMPLETED");
    expect(must(as("alice", `cat /home/alice/beside-oom-${job}.out`), "job output")).toContain("job finished on lab2");
    removeAllOf("bob");
  }, 300_000);
});
