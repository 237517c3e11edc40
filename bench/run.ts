/**
 * `npm run bench [-- --only NAME,...] [--runs N] [--out DIR] [--report-only]`: runs the benchmark parts
 * (bench/parts/index.ts), writes bench/results/<date>-<host>.json and regenerates bench/REPORT.md with its
 * plots. Exit 2 on a usage mistake (nothing written), 1 when a part fails.
 */
import { resolve } from "node:path";
import { parseBenchArgs, usage, UsageError } from "./args";
import { projectLab } from "./lab";
import { PARTS } from "./parts";
import { runBench } from "./runner";

async function main(): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  try {
    const request = parseBenchArgs(process.argv.slice(2), PARTS);
    if (request.help) {
      console.log(usage(PARTS));
      return 0;
    }
    const outDir = request.out === undefined ? __dirname : resolve(request.out);
    const written = await runBench(request, outDir, {
      lab: projectLab,
      isRoot: () => process.getuid?.() === 0,
      now: () => new Date(),
      log,
      order: PARTS.map((p) => p.name),
    });
    for (const file of written) console.log(`wrote ${file}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      log(`bench: ${e.message}\n\n${usage(PARTS)}`);
      return 2;
    }
    log(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
