/** `run --time` and `--gpu-wait`: only with --gpu, only where Slurm owns the GPUs, read as Slurm reads them. */
import { describe, expect, it } from "vitest";
import { PolicyError, parseRun, type PolicyContext } from "./policy";

const GiB = 1024 ** 3;
const limits = { memory: { default: 4 * GiB, max: 16 * GiB }, cpus: { default: 2, max: 8 }, pids: { default: 1024, max: 4096 }, shm: { default: GiB, max: 8 * GiB } };
const ledgerHost: PolicyContext = { caller: { uid: 2001, gid: 2001, user: "alice", home: "/home/alice" }, realpath: (p) => p, limits };
const slurmHost: PolicyContext = { ...ledgerHost, slurm: { maxTimeMinutes: 1440 } };

function refusal(argv: string[], ctx: PolicyContext): string {
  try {
    parseRun([...argv, "img"], ctx);
  } catch (e) {
    if (e instanceof PolicyError) return e.message;
    throw e;
  }
  throw new Error(`not refused: ${argv.join(" ")}`);
}

describe("--time and --gpu-wait", () => {
  it("reads them on a Slurm host with --gpu, in either position, with = or as the next word", () => {
    expect(parseRun(["--gpu", "--time=2:00:00", "img"], slurmHost)).toMatchObject({ gpus: 1, minutes: 120 });
    expect(parseRun(["--time", "90", "--gpu=2", "--gpu-wait", "img"], slurmHost)).toMatchObject({ gpus: 2, minutes: 90, gpuWaitSeconds: 600 });
    expect(parseRun(["--gpu", "--gpu-wait=5m", "img"], slurmHost)).toMatchObject({ gpuWaitSeconds: 300 });
    const plain = parseRun(["--gpu", "img"], slurmHost);
    expect(plain.minutes).toBeUndefined();
    expect(plain.gpuWaitSeconds).toBeUndefined();
  });

  it("takes a --gpu-wait value only after =: the next word is the image", () => {
    expect(parseRun(["--gpu", "--gpu-wait", "base", "true"], slurmHost)).toMatchObject({ image: "base", command: ["true"], gpuWaitSeconds: 600 });
  });

  it("never passes them to podman", () => {
    const request = parseRun(["--gpu", "--time=90", "--gpu-wait=1m", "img"], slurmHost);
    expect([...request.options, ...request.limits].join(" ")).not.toMatch(/time|wait/);
  });

  it("refuses them without --gpu", () => {
    expect(refusal(["--time=90"], slurmHost)).toMatch(/^--time: only with --gpu/);
    expect(refusal(["--gpu-wait"], slurmHost)).toMatch(/^--gpu-wait: only with --gpu/);
  });

  it("refuses them where the GPUs are ie-podman's own", () => {
    expect(refusal(["--gpu", "--time=90"], ledgerHost)).toMatch(/^--time: only on hosts whose GPUs come from Slurm/);
    expect(refusal(["--gpu", "--gpu-wait=1m"], ledgerHost)).toMatch(/^--gpu-wait: only on hosts whose GPUs come from Slurm/);
  });

  it.each([
    [["--gpu", "--time=2-0"], /above this host's limit of 1440 minutes/],
    [["--gpu", "--time=--uid=0"], /is not a time limit/],
    [["--gpu", "--time=1h"], /is not a time limit/],
    [["--gpu", "--time"], /IMAGE: missing/],
    [["--gpu", "--gpu-wait=2h"], /not between 1 second and 60 minutes/],
    [["--gpu", "--gpu-wait=1d"], /is not a duration/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseRun([...argv, "img"], slurmHost)).toThrow(message);
  });
});
