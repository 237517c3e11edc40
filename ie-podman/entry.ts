/**
 * How the root process gets the user's words without its runtime ever seeing them.
 *
 * Node parses its own argv before the first line of a script runs, and Debian 13's nodejs (20.19) reads
 * `--env-file=FILE` from anywhere in argv (the script's arguments included), then honours `NODE_OPTIONS`
 * from that file: every user word in node's argv can be a root code execution. So the program never takes
 * words from argv. The root-owned entry script (`renderEntryScript` in components/containers/render.ts)
 * starts node with a fixed argv (`node -- PROGRAM`) and a fixed environment (`env -i` plus sudo's SUDO_*),
 * and writes the user's words to file descriptor 3 as NUL-terminated frames, a channel node does not
 * parse. This module reads that frame and checks, before anything else runs, that the process really was
 * started that way.
 */
import { readFileSync } from "node:fs";

/** The file descriptor the entry script writes the user's words to. */
export const ARGV_FD = 3;

/** The environment variables the entry script passes; anything else means another way in. */
export const ENTRY_ENVIRONMENT: ReadonlySet<string> = new Set(["PATH", "LANG", "TERM", "SUDO_UID", "SUDO_GID", "SUDO_USER"]);

/** What node tells about how it was started. */
export interface StartFacts {
  readonly argv: readonly string[];
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Why this process was not started by the entry script, or undefined when it was: exactly `node PROGRAM`
 * (no node options, no further words), and no environment variable but the entry's (no NODE_* at all).
 */
export function startProblem(facts: StartFacts): string | undefined {
  if (facts.execArgv.length > 0) return `node options ${JSON.stringify(facts.execArgv)} were given`;
  if (facts.argv.length !== 2) return `${facts.argv.length - 2} words were passed on node's command line`;
  const stray = Object.keys(facts.env).filter((k) => k.startsWith("NODE_") || !ENTRY_ENVIRONMENT.has(k));
  if (stray.length > 0) return `environment variables ${stray.sort().join(", ")} are set`;
  return undefined;
}

/** The words of a frame: each one NUL-terminated (an empty frame is no words). */
export function decodeArgvFrame(frame: Buffer): string[] {
  if (frame.length === 0) return [];
  if (frame[frame.length - 1] !== 0) throw new Error("the argument frame does not end with a NUL: it was cut short");
  return frame.subarray(0, frame.length - 1).toString("utf8").split("\0");
}

/** The user's words, read from the entry script's descriptor; throws when there is none. */
export function readEntryArgv(fd = ARGV_FD): string[] {
  let frame: Buffer;
  try {
    frame = readFileSync(fd);
  } catch (e) {
    throw new Error(`no argument frame on descriptor ${fd} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeArgvFrame(frame);
}
