/** Parts and results for the bench tests: made-up numbers with the shapes real parts produce. */
import type { PartRecord, ResultsFile } from "./results";
import type { BenchPart, PartResult } from "./types";

const SIZES = [16, 32, 64, 128, 256, 512, 1024];

export const STORAGE_RESULT: PartResult = {
  tables: [
    {
      title: "Write, 256 MiB",
      unit: "MB/s",
      reference: "container SSD",
      higherIsBetter: true,
      rows: [
        { label: "container SSD", samples: [400, 420, 410] },
        { label: "CephFS home", samples: [100, 110, 105], note: "ceph-fuse" },
      ],
    },
  ],
  plots: [
    {
      id: "storage-write",
      title: "Write speed by file size",
      xLabel: "file size (MiB)",
      yLabel: "MB/s",
      xLog2: true,
      series: [
        { label: "container SSD", points: SIZES.map((x, i) => ({ x, samples: [300 + 10 * i, 310 + 10 * i, 305 + 10 * i] })) },
        { label: "CephFS home", points: SIZES.map((x, i) => ({ x, samples: [80 + 5 * i, 90 + 5 * i, 85 + 5 * i] })) },
      ],
    },
    {
      id: "storage-read",
      title: "Read speed by file size",
      xLabel: "file size (MiB)",
      yLabel: "MB/s",
      xLog2: true,
      series: [{ label: "container SSD", points: SIZES.map((x) => ({ x, samples: [900, 950] })) }],
    },
  ],
  notes: ["Caches dropped before every read."],
  versions: { ceph: "19.2.1" },
};

export const MACHINE = { hostname: "labmachine", cpus: 2, cpuModel: "Test CPU", memoryBytes: 8 * 2 ** 30, kernel: "6.1.0", os: "Debian GNU/Linux 13 (trixie)", node: "v20.0.0" };

export function record(result: PartResult, description = "made-up part"): PartRecord {
  return { description, needsLab: false, date: "2026-01-02T03:04:05.000Z", runs: 3, machine: MACHINE, result };
}

export const FIXTURE_RESULTS: ResultsFile = {
  date: "2026-01-02T03:04:05.000Z",
  machine: MACHINE,
  parts: {
    storage: record(STORAGE_RESULT, "dd write and read on every storage."),
    build: record({
      tables: [
        { title: "Image build, cold", unit: "s", reference: "rootful podman", rows: [{ label: "rootful podman", samples: [27, 28, 26] }, { label: "rootless vfs", samples: [70, 72, 69] }] },
      ],
      plots: [
        {
          id: "build",
          title: "Image build time by engine",
          xLabel: "engine",
          yLabel: "seconds",
          categories: ["rootful podman", "podman build, rootless, native overlay"],
          series: [
            { label: "cold", points: [{ x: 0, samples: [27, 28] }, { x: 1, samples: [70, 72] }] },
            { label: "cached", points: [{ x: 0, samples: [1.5] }, { x: 1, samples: [37] }] },
          ],
        },
      ],
    }),
  },
};

/** A part that records its calls and returns `result`. */
export function fakePart(name: string, needsLab: boolean, result: PartResult, calls: string[]): BenchPart {
  return {
    name,
    description: `the ${name} part`,
    needsLab,
    async run(ctx) {
      calls.push(`${name} x${ctx.runs}`);
      return result;
    },
  };
}
