/**
 * `build` (the report's fig. 1): one Containerfile in the spirit of the report's ML images, built on one lab
 * host by ie-podman (as a student), rootful Podman, rootless Podman on `vfs` (the report's case), rootless
 * Podman on native overlay (today's default) and Docker (`docker.io` from Debian, the report's other engine).
 * Each is timed cold (`--no-cache`) and cached (one COPY changed). The Debian base is made on the host with
 * debootstrap from the lab's mirror and imported into every engine's storage, so no engine pulls anything but
 * the apt packages of the RUN step.
 */
import { asUser, must, onHost, timingLine, timingSeconds, type Run } from "../../test/lab/support";
import type { BenchPart, PartResult, Row } from "../types";
import { median } from "../stats";
import { BENCH_BASE, ROOTLESS_HOME, ROOTLESS_USER, buildCommand, containerfile, rootlessVerdict, setupScript, type Engine } from "./build-engines";

const HOST = "lab2";
const ENGINES: readonly Engine[] = ["ie-podman", "podman", "podman-rootless-vfs", "podman-rootless-overlay", "docker"];
const LABELS: Readonly<Record<Engine, string>> = {
  "ie-podman": "ie-podman build (alice)",
  podman: "podman build (root)",
  "podman-rootless-vfs": "podman build, rootless, vfs",
  "podman-rootless-overlay": "podman build, rootless, native overlay",
  docker: "docker build (root)",
};

/** Runs a script on the host as the engine's user: alice for ie-podman, the rootless user, or root. */
function asEngineUser(engine: Engine, script: string, stdin?: string): Run {
  if (engine === "ie-podman") return asUser(HOST, "alice", script, stdin);
  if (engine.startsWith("podman-rootless")) return asUser(HOST, ROOTLESS_USER, script, stdin);
  return onHost(HOST, script, stdin);
}

/** Seconds a script takes on the host; the script's own output is kept for the error when it fails. */
function timed(engine: Engine, script: string): number {
  return timingSeconds(must(asEngineUser(engine, timingLine(script)), `${engine} build`));
}

/** Where each engine's build context lives: the caller's home for ie-podman, a local directory for the rest. */
function contextDir(engine: Engine): string {
  if (engine === "ie-podman") return "/home/alice/bench-build";
  if (engine.startsWith("podman-rootless")) return `${ROOTLESS_HOME}/context`;
  return "/var/tmp/bench-build";
}

/** Writes the Containerfile and the user code (with `revision` in it: a new revision changes the COPY). */
function writeContext(engine: Engine, revision: string): void {
  const dir = contextDir(engine);
  const script = `mkdir -p ${dir}/code && cat > ${dir}/Containerfile && printf 'print("training, revision %s")\\n' '${revision}' > ${dir}/code/train.py`;
  must(asEngineUser(engine, script, containerfile()), `${engine}: write the build context`);
}

export const buildPart: BenchPart = {
  name: "build",
  description: "fig. 1: one ML Containerfile built by ie-podman, rootful podman, rootless podman (vfs, overlay) and docker, cold and cached (lab2)",
  needsLab: true,
  async run(ctx): Promise<PartResult> {
    ctx.log("build: engines, the Debian base and the rootless user on lab2 (once)");
    const setup = must(onHost(HOST, setupScript()), "build setup");
    const builder = /^docker-builder=(\S+)$/m.exec(setup)?.[1] ?? "unknown";
    const cold: Record<string, number[]> = {};
    const cached: Record<string, number[]> = {};
    for (let run = 0; run < ctx.runs; run++) {
      for (const engine of ENGINES) {
        ctx.log(`build: run ${run + 1} of ${ctx.runs}: ${engine}, cold`);
        writeContext(engine, `${run}-cold`);
        (cold[engine] ??= []).push(timed(engine, buildCommand(engine, contextDir(engine), true)));
        ctx.log(`build: run ${run + 1} of ${ctx.runs}: ${engine}, cached (one COPY changed)`);
        writeContext(engine, `${run}-cached`);
        (cached[engine] ??= []).push(timed(engine, buildCommand(engine, contextDir(engine), false)));
      }
    }
    const medians = (samples: Record<string, number[]>) => Object.fromEntries(ENGINES.map((e) => [e, median(samples[e] ?? [])])) as Record<Engine, number>;
    const rows = (samples: Record<string, number[]>): Row[] => ENGINES.map((e) => ({ label: LABELS[e], samples: samples[e] ?? [] }));
    const versions = must(onHost(HOST, "podman --version; docker --version; uname -r"), "versions").trim().split("\n");
    return {
      tables: [
        { title: "Image build, cold (--no-cache; base image present)", unit: "s", reference: LABELS.podman, rows: rows(cold) },
        { title: "Image build, cached (one COPY changed)", unit: "s", reference: LABELS.podman, rows: rows(cached) },
      ],
      plots: [
        {
          id: "build",
          title: "Image build time by engine (median)",
          xLabel: "engine",
          yLabel: "seconds",
          categories: ENGINES.map((e) => LABELS[e]),
          series: [
            { label: "cold (--no-cache)", points: ENGINES.map((e, i) => ({ x: i, samples: cold[e] ?? [] })) },
            { label: "cached (one COPY changed)", points: ENGINES.map((e, i) => ({ x: i, samples: cached[e] ?? [] })) },
          ],
        },
      ],
      notes: [
        `The Containerfile: FROM ${BENCH_BASE} (debootstrap --variant=minbase of the host's Debian, imported into each engine's storage), one RUN of apt-get install of python3-numpy, python3-scipy, python3-pandas and python3-sklearn from the lab's mirror, one COPY of the user's code.`,
        "Rootful engines build as root on the host's SSD path; ie-podman builds as alice from her CephFS home (the context is copied by ie-podman), in root's storage like rootful podman.",
        `Rootless podman runs as ${ROOTLESS_USER}, a local user of lab2 with its own storage on the SSD path, once with vfs (the report's case: every layer a full copy) and once with native overlay.`,
        rootlessVerdict({ cold: medians(cold), cached: medians(cached) }),
        `Docker uses the ${builder} builder; Docker's containers do not inherit the host's /etc/hosts, so its build is given the mirror's pinned addresses with --add-host (the lab has no DNS).`,
      ],
      versions: { podman: versions[0] ?? "", docker: versions[1] ?? "", kernel: versions[2] ?? "" },
    };
  },
};
