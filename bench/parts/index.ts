/**
 * Every benchmark part `npm run bench` knows, in report order. Adding a part is one import and one entry:
 * the runner, `--only`, `--help` and the report all read this list.
 */
import type { BenchPart } from "../types";
import { programPart } from "./program";
// Lab parts (needsLab: the runner brings the lab up and applies it before running them) are imported here.
import { applyPart } from "./apply";
import { buildPart } from "./build";
import { iePodmanPart } from "./iepodman";
import { storagePart } from "./storage";
import { vmPart } from "./vm";

export const PARTS: readonly BenchPart[] = [
  programPart,
  // Lab parts go here, in the order the report shows them: the report's figures first.
  buildPart,
  storagePart,
  iePodmanPart,
  vmPart,
  applyPart,
];
