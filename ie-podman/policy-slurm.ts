/**
 * The run options that are Slurm's, `--time` and `--gpu-wait`, checked: only with `--gpu`, and only where
 * Slurm owns the GPUs (elsewhere a GPU container has no allocation to time or to wait for). Their values are
 * read by slurm.ts into numbers; the user's words never reach Slurm.
 */
import type { PolicyContext, RunRequest } from "./policy";
import { PolicyError } from "./policy-error";
import { parseGpuWait, parseTime } from "./slurm";

/** The words the user gave, with the option as written (for the message). */
export interface SlurmWords {
  readonly time?: { readonly text: string; readonly option: string };
  /** `text` is undefined for a bare `--gpu-wait`. */
  readonly wait?: { readonly text: string | undefined; readonly option: string };
}

export function slurmOptions(ctx: PolicyContext, gpus: number, words: SlurmWords): Pick<RunRequest, "minutes" | "gpuWaitSeconds"> {
  const { time, wait } = words;
  for (const given of [time, wait]) {
    if (given === undefined) continue;
    if (gpus === 0) throw new PolicyError(given.option, "only with --gpu: it is about the GPUs' allocation in Slurm");
    if (ctx.slurm === undefined) throw new PolicyError(given.option, "only on hosts whose GPUs come from Slurm; here they come from ie-podman's own ledger and have no time limit");
  }
  return {
    ...(time !== undefined && ctx.slurm !== undefined ? { minutes: parseTime(time.text, ctx.slurm.maxTimeMinutes, time.option) } : {}),
    ...(wait !== undefined ? { gpuWaitSeconds: parseGpuWait(wait.text, wait.option) } : {}),
  };
}
