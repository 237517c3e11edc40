/**
 * A host drained for the yearly refresh (its configuration has `drain`): everything moves off it while it
 * stays in the stack, so ie-podman starts nothing new here. Which verbs that refuses is decided here, for
 * every verb, in one table: a new verb has to say whether it starts a container.
 *
 * Refused: `run` (a new container), `start` (a stopped container running again on the host being emptied)
 * and `build` (its RUN steps run in build containers that carry no owner label, so the drain cannot see them,
 * for as long as the build takes, and the image lands in a store that is going away).
 * Allowed: everything that lets users see, stop and clear what they have here, and take their work
 * elsewhere: ps, stop, rm, logs, inspect, exec (a process in a container that already runs: copying results
 * out), images, sif (podman save and apptainer build from the archive start no container; the SIF file is
 * what a user carries to another host or to Slurm), the reaper and the Slurm sync.
 */
import type { HostConfig } from "./config";

/** Per verb: whether it starts a container on this host. */
export const STARTS_CONTAINERS: Readonly<Record<string, boolean>> = {
  run: true,
  start: true,
  build: true,
  ps: false,
  stop: false,
  rm: false,
  logs: false,
  exec: false,
  inspect: false,
  images: false,
  sif: false,
  reap: false,
  sync: false,
};

/** Why `verb` is refused on this host, or undefined when it may go on. */
export function drainRefusal(config: Pick<HostConfig, "drain">, verb: string): string | undefined {
  if (config.drain === undefined || STARTS_CONTAINERS[verb] !== true) return undefined;
  const others = config.drain.otherHosts;
  const elsewhere =
    others.length > 0 ? `use another container host: ${others.join(", ")}` : "no other container host is declared; ask the admins where to go";
  return `this host is being drained for the refresh; ${elsewhere}`;
}

/**
 * The gate `main` puts before every verb: on a drained host a verb that starts a container is refused with
 * exit status 1 (not the caller's fault and not for ever: another host will do, as when the pool is
 * exhausted), recorded in the audit log as refused. Undefined when the verb may go on.
 */
export function refuseWhileDraining(
  config: Pick<HostConfig, "drain">,
  verb: string,
  record: (decision: "refused", detail: string) => void,
  stderr: (text: string) => void,
): number | undefined {
  const refusal = drainRefusal(config, verb);
  if (refusal === undefined) return undefined;
  record("refused", refusal);
  stderr(`ie-podman ${verb}: ${refusal}\n`);
  return 1;
}
