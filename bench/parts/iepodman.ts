/**
 * `ie-podman`: what the wrapper costs a student. `ie-podman run --rm IMAGE true` as alice against rootful
 * `podman run --rm` with the very options ie-podman gave Podman (read back from the container's
 * CreateCommand), `ie-podman ps`, and 20 runs started at once. Timed on the container host itself, so SSH
 * is not in the numbers.
 */
import { asUser, ensureBaseImage, must, onHost, shellQuote } from "../../test/lab/support";
import type { BenchPart, PartResult } from "../types";

const HOST = "lab2";
const IMAGE = "localhost/base";
/** Timings per run: ie-podman and plain podman alternate, so that a load change hits both alike. */
const PER_RUN = 5;
const AT_ONCE = 20;

/** Seconds a script takes on the host, as root or (with `user`) as that user. */
function timed(script: string, user?: string): number {
  const line = `s=$(date +%s.%N); ${script} >/dev/null 2>&1; rc=$?; e=$(date +%s.%N); echo "$rc $s $e"`;
  const out = must(user === undefined ? onHost(HOST, line) : asUser(HOST, user, line), script).trim().split(" ");
  if (out[0] !== "0") throw new Error(`${script} exited ${out[0]} on ${HOST}`);
  return Number(out[2]) - Number(out[1]);
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

export const iePodmanPart: BenchPart = {
  name: "ie-podman",
  description: "ie-podman run --rm against podman run --rm with the same options, ie-podman ps, 20 runs at once (lab2, as alice)",
  needsLab: true,
  async run(ctx): Promise<PartResult> {
    ensureBaseImage(HOST);
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
        { title: `ie-podman ps -a (alice; ${containers} containers on the host)`, unit: "s", rows: [{ label: "ie-podman ps -a", samples: ps, note: "goal < 0.25 s at 500 containers" }] },
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
        "ps with 500 containers in the ledger is not measured yet.",
        ...(failedWith.size > 0 ? [`Runs started at once failed with: ${[...failedWith].join("; ")}.`] : []),
      ],
      versions: { podman: must(onHost(HOST, "podman --version"), "podman --version").trim() },
    };
  },
};
