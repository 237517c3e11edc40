/** `--help` of ie-podman and of every verb. */

export interface VerbHelp {
  readonly usage: string;
  readonly summary: string;
  readonly details: readonly string[];
}

export const HELP: Readonly<Record<string, VerbHelp>> = {
  run: {
    usage: "ie-podman run [--ip] [--gpu[=N] [--time=TIME] [--gpu-wait[=D]]] [OPTIONS] IMAGE [COMMAND...]",
    summary: "run a container as yourself",
    details: [
      "--ip            an address of the department's container network (see ie-podman ps)",
      "--gpu[=N]       N GPUs (default 1) for this container alone, as its GPU 0..N-1",
      "On a host whose GPUs Slurm owns (ie-podman ps shows a JOB column there), the GPUs come from a Slurm",
      "allocation in your name (job name ie-podman), with your Slurm limits; the container is stopped when it ends:",
      "--time=TIME     the allocation's time limit, as sbatch reads it (minutes, H:M:S, D-H...; default: the most)",
      "--gpu-wait[=D]  wait up to D (e.g. 90s, 30m; default 10m, at most 1h) for free GPUs; without it, no free",
      "                GPU is an error at once. ie-podman stop and rm end the allocation; start needs a live one.",
      "-d, --detach    print the container id and return",
      "-i, -t, --rm, --read-only, --name, --hostname, --entrypoint, -w/--workdir, -e/--env NAME=VALUE,",
      "-v/--volume PATH:CPATH[:ro], --mount type=bind|tmpfs,..., -p/--publish [127.0.0.1:]PORT:CPORT (1024+),",
      "-m/--memory, --cpus, --shm-size",
      "Bind mounts: your home and what is under it only. Everything else (--privileged, --cap-add, --device,",
      "--security-opt, host namespaces, --user, ...) is refused with the reason.",
    ],
  },
  ps: {
    usage: "ie-podman ps [-a|--all] [--json]",
    summary: "list your containers (running; -a all, with how long each has been stopped and when the reaper removes it)",
    details: ["It also refreshes what the message at login shows of your containers (the reaper does so every hour)."],
  },
  stop: { usage: "ie-podman stop [-t SECONDS] CONTAINER...", summary: "stop your containers", details: [] },
  start: { usage: "ie-podman start [-a [-i]] CONTAINER...", summary: "start your stopped containers (-a: attached)", details: [] },
  rm: {
    usage: "ie-podman rm [-f [-t SECONDS]] CONTAINER...",
    summary: "remove your containers and free their address and GPUs",
    details: ["-f stops running ones first (after -t seconds, default 10, they are killed)"],
  },
  logs: { usage: "ie-podman logs [-f] [-t] [--tail N] CONTAINER", summary: "show a container's output", details: [] },
  exec: {
    usage: "ie-podman exec [-i] [-t] [-d] [-e NAME=VALUE] [-w DIR] CONTAINER COMMAND...",
    summary: "run a command in your running container, as yourself",
    details: [],
  },
  inspect: { usage: "ie-podman inspect CONTAINER...", summary: "podman's JSON description of your containers", details: [] },
  build: {
    usage: "ie-podman build -t NAME[:TAG] [-f FILE] [--no-cache] [--build-arg NAME=VALUE]... CONTEXT",
    summary: "build an image from a Containerfile in your home; tagged localhost/<you>/NAME",
    details: ["The layer cache is shared by everyone on this host. RUN steps run in a user namespace."],
  },
  images: { usage: "ie-podman images [--json]", summary: "list the host's images (shared by everyone)", details: [] },
  sif: {
    usage: "ie-podman sif [--force] IMAGE",
    summary: "write IMAGE.sif (for singularity/apptainer) into the current directory, owned by you",
    details: ["Then: singularity run --nv IMAGE.sif, or singularity exec --nv IMAGE.sif COMMAND (also in Slurm jobs)."],
  },
  reap: {
    usage: "ie-podman reap [--dry-run]",
    summary: "(root, the reaper's timer) remove containers stopped longer than the host's limit",
    details: [],
  },
  sync: {
    usage: "ie-podman sync",
    summary: "(root, a timer every 15 s) stop GPU containers whose Slurm allocation ended, end those of stopped ones",
    details: [],
  },
};

export function verbHelp(verb: string): string {
  const h = HELP[verb];
  return [`usage: ${h.usage}`, "", `${h.summary}.`, ...(h.details.length > 0 ? ["", ...h.details.map((d) => `  ${d}`)] : []), ""].join("\n");
}

export function overview(): string {
  const width = Math.max(...Object.keys(HELP).map((v) => v.length));
  return [
    "usage: ie-podman VERB [ARGUMENTS]   (ie-podman VERB --help for each verb)",
    "",
    "Containers on this host under your own user id; you see and touch only your own.",
    "",
    ...Object.entries(HELP).map(([verb, h]) => `  ${verb.padEnd(width)}  ${h.summary}`),
    "",
  ].join("\n");
}
