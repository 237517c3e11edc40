/**
 * Sizes and durations as admins write them in a stack (`10GiB`, `512MiB`, `7d`, `90m`), parsed to plain
 * numbers. Units are mandatory: a bare `10` is ambiguous (bytes? GiB?) and is refused.
 */

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)$/;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/;

/** Bytes in a size such as `10GiB`; `undefined` when the text is not a size with a unit. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]]);
}

/** Seconds in a duration such as `7d`; `undefined` when the text is not a duration with a unit. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]]);
}

export const SIZE_HINT = "write a size with a unit, e.g. 512MiB, 10GiB, 2TiB";
export const DURATION_HINT = "write a duration with a unit, e.g. 90m, 12h, 7d";

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/** Whole MiB in a byte count (what Slurm's RealMemory and libvirt's memory in MiB want). */
export function toMiB(bytes: number): number {
  return Math.floor(bytes / MiB);
}

/** Slurm's time format for a limit in seconds: `D-HH:MM:SS`, or `MM` minutes when under an hour. */
export function toSlurmTime(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return String(minutes);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hhmm = `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00`;
  return d > 0 ? `${d}-${hhmm}` : hhmm;
}
