/**
 * `ie-podman`: what the wrapper costs a student. `ie-podman run --rm IMAGE true` as alice against rootful
 * `podman run --rm` with the very options ie-podman gave Podman (read back from the container's
 * CreateCommand), `ie-podman ps`, 20 runs started at once, and `ie-podman ps` again with 500 containers in the
 * ledger, each holding an address of the /22 (more than a /24 holds: the addresses must be distinct and reach
 * past the first 254). Timed on the container host itself, so SSH is not in the numbers.
 */
import { asUser, ensureBaseImage, must, onHost, removeContainersOf, shellQuote, timingLine, timingSeconds } from "../../test/lab/support";
import { addressToNumber } from "../../components/inventory/net";
import type { BenchPart, PartResult } from "../types";

const HOST = "lab2";
const IMAGE = "localhost/base";
/** Timings per run: ie-podman and plain podman alternate, so that a load change hits both alike. */
const PER_RUN = 5;
const AT_ONCE = 20;
/** Containers in the ledger for the large `ps`: more than a /24's 254 addresses. */
const MANY = 500;
/** Runs per SSH command while filling the ledger. */
const FILL_BATCH = 100;

/** Seconds a script takes on the host, as root or (with `user`) as that user. */
function timed(script: string, user?: string): number {
  const line = timingLine(script);
  return timingSeconds(must(user === undefined ? onHost(HOST, line) : asUser(HOST, user, line), script));
}

/**
 * The `podman run` line that matches what ie-podman runs: the create command of a container ie-podman made,
 * with `run --rm` for `create`, no name, and `true` as the command.
 */
function plainPodmanLine(): string {
  const id = must(asUser(HOST, "alice", `ie-podman run -d --name bench-probe ${IMAGE} sleep 60`), "ie-podman run -d").trim();
  try {
    const create = JSON.parse(must(onHost(HOST, `podman inspect --format '{{json .Config.CreateCommand}}' ${id}`), "inspect")) as string[];
    const at = create.indexOf("create");
    const imageAt = create.lastIndexOf(create.find((w) => w === IMAGE || w.startsWith(`${IMAGE}:`)) ?? IMAGE);
    if (at < 0 || imageAt < 0) throw new Error(`unexpected create command: ${JSON.stringify(create)}`);
    const options: string[] = [];
    const words = create.slice(at + 1, imageAt);
    for (let i = 0; i < words.length; i++) {
      if (words[i] === "--name") i++;
      else if (!words[i].startsWith("--name=") && words[i] !== "--") options.push(words[i]);
    }
    return ["podman", "run", "--rm", ...options, create[imageAt], "true"].map(shellQuote).join(" ");
  } finally {
    must(asUser(HOST, "alice", "ie-podman rm -f bench-probe"), "ie-podman rm");
  }
}

/** 20 runs at once: the seconds until all are done, and what each failed run printed (exit status, last line). */
function atOnce(): { seconds: number; failed: string[] } {
  const script = `d=$(mktemp -d); s=$(date +%s.%N)
for i in $(seq ${AT_ONCE}); do (runuser -u alice -- ie-podman run --rm ${IMAGE} true >"$d/$i" 2>&1; rc=$?; [ $rc = 0 ] || echo "exit $rc: $(tail -n 1 "$d/$i")" >"$d/$i.failed") & done
wait
e=$(date +%s.%N)
echo "$s $e"; cat "$d"/*.failed 2>/dev/null || true; rm -rf "$d"`;
  const [times, ...failed] = must(onHost(HOST, script), "runs at once").trim().split("\n");
  const [s, e] = times.split(" ").map(Number);
  return { seconds: e - s, failed };
}

/**
 * Fills alice's part of the ledger with MANY exited containers, each holding an address, and returns the
 * distinct addresses handed out and the runs that failed twice (a start that fails, rarely under load,
 * removes its container and lease; it is tried once more, as a user would).
 */
function fillLedger(): { addresses: string[]; failed: string[] } {
  removeContainersOf(HOST, "alice");
  // In batches: one SSH command may run 5 minutes (onHost), and 500 runs take longer on 2 cores.
  const failed: string[] = [];
  for (let done = 0; done < MANY; done += FILL_BATCH) {
    const count = Math.min(FILL_BATCH, MANY - done);
    const out = must(
      asUser(HOST, "alice", `rm -f ~/fill.err; seq ${count} | xargs -P 3 -I{} sh -c 'ie-podman run --ip -d ${IMAGE} true >/dev/null 2>/dev/null || ie-podman run --ip -d ${IMAGE} true >/dev/null 2>>~/fill.err'; cat ~/fill.err 2>/dev/null; rm -f ~/fill.err`),
      `runs ${done + 1}..${done + count} of ${MANY}`,
    );
    failed.push(...out.split("\n").filter((l) => l.trim() !== ""));
  }
  const rows = JSON.parse(must(asUser(HOST, "alice", "ie-podman ps -a --json"), "ps --json")) as { ip?: string }[];
  const addresses = [...new Set(rows.map((r) => r.ip).filter((ip): ip is string => ip !== undefined))];
  return { addresses, failed };
}

export const iePodmanPart: BenchPart = {
  name: "ie-podman",
  description: "ie-podman run --rm against podman run --rm with the same options, ie-podman ps, 20 runs at once (lab2, as alice)",
  needsLab: true,
  async run(ctx): Promise<PartResult> {
    ensureBaseImage(HOST);
    // From an empty ledger: alice's containers left by an earlier, interrupted part would slow every run
    // (each reconciles the ledger with all of the host's containers).
    removeContainersOf(HOST, "alice");
    const plain = plainPodmanLine();
    ctx.log(`ie-podman: the plain podman line is ${plain}`);
    const wrapped: number[] = [];
    const direct: number[] = [];
    const ps: number[] = [];
    const rates: number[] = [];
    const failures: number[] = [];
    const failedWith = new Set<string>();
    for (let run = 0; run < ctx.runs; run++) {
      ctx.log(`ie-podman: run ${run + 1} of ${ctx.runs}`);
      for (let i = 0; i < PER_RUN; i++) {
        wrapped.push(timed(`ie-podman run --rm ${IMAGE} true`, "alice"));
        direct.push(timed(plain));
        ps.push(timed("ie-podman ps -a", "alice"));
      }
      const burst = atOnce();
      rates.push(AT_ONCE / burst.seconds);
      failures.push(burst.failed.length);
      for (const f of burst.failed) failedWith.add(f);
    }
    const containers = must(onHost(HOST, "podman ps -a -q | wc -l"), "count").trim();
    ctx.log(`ie-podman: ${MANY} containers with addresses in the ledger`);
    const filled = fillLedger();
    // Counted from the lowest address handed out (ps lists containers in no address order).
    const numbers = filled.addresses.map(addressToNumber);
    const firstBlock = Math.floor(Math.min(...numbers) / 256);
    const beyondFirst24 = numbers.filter((n) => Math.floor(n / 256) !== firstBlock).length;
    if (filled.addresses.length < MANY - filled.failed.length) throw new Error(`${MANY} runs with --ip gave only ${filled.addresses.length} distinct addresses`);
    const psMany: number[] = [];
    for (let run = 0; run < ctx.runs; run++) psMany.push(timed("ie-podman ps -a", "alice"));
    removeContainersOf(HOST, "alice");
    const ledgerAfter = JSON.parse(must(onHost(HOST, "cat /var/lib/ie-podman/ledger.json"), "ledger")) as { leases: { uid: number }[] };
    const leftToAlice = ledgerAfter.leases.filter((l) => l.uid === 2001).length;
    return {
      tables: [
        {
          title: "Starting a container (ie-podman's goal: ≤ 1.15× plain podman; the peer wrapper userdocker measured 1.27×)",
          unit: "s",
          reference: "podman run --rm (root, same options)",
          rows: [
            { label: "podman run --rm (root, same options)", samples: direct },
            { label: "ie-podman run --rm (alice)", samples: wrapped },
          ],
        },
        {
          title: "ie-podman ps -a (alice)",
          unit: "s",
          rows: [
            { label: `${containers} containers on the host`, samples: ps },
            { label: `${filled.addresses.length} containers, each with an address`, samples: psMany, note: `goal < 0.25 s at ${MANY} containers` },
          ],
        },
        {
          title: `${AT_ONCE} ie-podman runs started at once (alice)`,
          unit: "runs/s",
          higherIsBetter: true,
          rows: [
            { label: "runs per second", samples: rates },
            { label: "failed runs", samples: failures },
          ],
        },
      ],
      notes: [
        `Each run times ${PER_RUN} starts of each, alternating; the plain line is ${plain}.`,
        `The ${MANY} containers of the large ps were started with --ip, 3 at a time: ${filled.addresses.length} distinct addresses, ${beyondFirst24} of them past the pool's first /24; ${filled.failed.length} runs failed twice; after ie-podman rm, alice held ${leftToAlice} leases.`,
        ...(filled.failed.length > 0 ? [`Runs that failed twice: ${[...new Set(filled.failed)].slice(0, 5).join("; ")}.`] : []),
        ...(failedWith.size > 0 ? [`Runs started at once failed with: ${[...failedWith].join("; ")}.`] : []),
      ],
      versions: { podman: must(onHost(HOST, "podman --version"), "podman --version").trim() },
    };
  },
};
