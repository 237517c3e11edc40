/**
 * What the `build` part runs on its host, as text: the Containerfile, the one-time setup (engines, the Debian
 * base in every engine's storage, the rootless user) and each engine's build command. Pure, so the commands
 * can be read and tested without a lab.
 */

export type Engine = "ie-podman" | "podman" | "podman-rootless-vfs" | "podman-rootless-overlay" | "docker";

/** The Debian base every engine builds from, made on the host (no registry is reachable). */
export const BENCH_BASE = "localhost/bench-debian:latest";
/** A local user of the build host for rootless Podman, its home (and storage) on the SSD path. */
export const ROOTLESS_USER = "benchrl";
export const ROOTLESS_HOME = `/srv/ssd/${ROOTLESS_USER}`;
/** The apt packages of the RUN step: a few hundred MB installed, like the report's ML images. */
export const ML_PACKAGES = ["python3-numpy", "python3-scipy", "python3-pandas", "python3-sklearn"] as const;
const BASE_TAR = "/var/tmp/bench-debian.tar";

export function containerfile(): string {
  return [
    `FROM ${BENCH_BASE}`,
    `RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${ML_PACKAGES.join(" ")} && rm -rf /var/lib/apt/lists/*`,
    "COPY code/ /opt/code/",
    'CMD ["python3", "/opt/code/train.py"]',
    "",
  ].join("\n");
}

/** Global options of a rootless Podman with its own storage per driver (the two must not share a store). */
function rootlessPodman(driver: "vfs" | "overlay"): string {
  // runuser keeps root's XDG_RUNTIME_DIR (/run/user/0), which rootless Podman would try to use.
  return `env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS podman --root=${ROOTLESS_HOME}/storage-${driver} --runroot=/tmp/${ROOTLESS_USER}-run-${driver} --storage-driver=${driver} --cgroup-manager=cgroupfs --events-backend=file`;
}

/**
 * The build of one engine in `dir`, cold (`--no-cache`) or cached. Rootless Podman and Docker build with the
 * host's network: the lab's hosts have no /dev/net/tun for rootless networking. Docker's build also gets the
 * mirror's addresses pinned in the host's /etc/hosts (the lab has no DNS).
 */
export function buildCommand(engine: Engine, dir: string, cold: boolean): string {
  const noCache = cold ? " --no-cache" : "";
  switch (engine) {
    case "ie-podman":
      return `cd ${dir} && ie-podman build -t bench-ml${noCache} .`;
    case "podman":
      return `podman build -t localhost/bench-ml:root${noCache} ${dir}`;
    case "podman-rootless-vfs":
      return `${rootlessPodman("vfs")} build --network=host -t localhost/bench-ml:vfs${noCache} ${dir}`;
    case "podman-rootless-overlay":
      return `${rootlessPodman("overlay")} build --network=host -t localhost/bench-ml:overlay${noCache} ${dir}`;
    case "docker":
      // BuildKit writes its own /etc/hosts even with the host's network: the mirror's pinned names are added.
      return `if docker buildx version >/dev/null 2>&1; then b=1; else b=0; fi; hosts=$(awk '!/^#/ { for (i = 2; i <= NF; i++) if ($i ~ /debian/ && !seen[$i]++) printf "--add-host=%s:%s ", $i, $1 }' /etc/hosts); DOCKER_BUILDKIT=$b docker build --network=host $hosts -f ${dir}/Containerfile -t bench-ml:docker${noCache} ${dir}`;
  }
}

/**
 * Once per host, idempotent: Docker, debootstrap and newuidmap installed; the Debian base made with
 * debootstrap from the host's own mirror and imported into root's Podman, Docker and both rootless stores;
 * the rootless user with its subordinate ids. Prints `docker-builder=buildkit|legacy`.
 */
export function setupScript(): string {
  const rootless = (driver: "vfs" | "overlay") =>
    `runuser -u ${ROOTLESS_USER} -- bash -c 'cd ~ && ${rootlessPodman(driver)} image exists ${BENCH_BASE} || ${rootlessPodman(driver)} import ${BASE_TAR} ${BENCH_BASE} >/dev/null'`;
  return [
    "export DEBIAN_FRONTEND=noninteractive",
    'need=""; for p in docker.io debootstrap uidmap; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done',
    '[ -z "$need" ] || apt-get -q -y install $need >/dev/null',
    // BuildKit for Docker when the archive has the plugin; the legacy builder otherwise (reported).
    "dpkg -s docker-buildx >/dev/null 2>&1 || apt-get -q -y install docker-buildx >/dev/null 2>&1 || true",
    "systemctl start docker",
    `if [ ! -s ${BASE_TAR} ]; then`,
    "  . /etc/os-release",
    // The host's own mirror. grep exits 2 for a missing sources.list and head would close the pipe early:
    // either fails the pipeline under pipefail, so `|| true` and sed.
    "  mirror=$( (grep -hoE 'https?://[^ ]+/debian' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) | sed -n 1p)",
    '  [ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt" >&2; exit 1; }',
    '  root=$(mktemp -d /var/tmp/bench-debian.XXXXXX)',
    '  debootstrap --variant=minbase "$VERSION_CODENAME" "$root" "$mirror" >/dev/null',
    `  tar -C "$root" -cf ${BASE_TAR}.new . && mv ${BASE_TAR}.new ${BASE_TAR} && chmod 0644 ${BASE_TAR}`,
    '  rm -rf --one-file-system "$root"',
    "fi",
    `podman image exists ${BENCH_BASE} || podman import ${BASE_TAR} ${BENCH_BASE} >/dev/null`,
    `docker image inspect ${BENCH_BASE} >/dev/null 2>&1 || docker import ${BASE_TAR} ${BENCH_BASE} >/dev/null`,
    `id ${ROOTLESS_USER} >/dev/null 2>&1 || useradd --create-home --home-dir ${ROOTLESS_HOME} --shell /bin/bash ${ROOTLESS_USER}`,
    "touch /etc/subuid /etc/subgid",
    `grep -q '^${ROOTLESS_USER}:' /etc/subuid || echo '${ROOTLESS_USER}:300000:65536' >> /etc/subuid`,
    `grep -q '^${ROOTLESS_USER}:' /etc/subgid || echo '${ROOTLESS_USER}:300000:65536' >> /etc/subgid`,
    rootless("vfs"),
    rootless("overlay"),
    "if docker buildx version >/dev/null 2>&1; then echo docker-builder=buildkit; else echo docker-builder=legacy; fi",
  ].join("\n");
}

/** Median build seconds per engine, cold and cached. */
export interface BuildMedians {
  readonly cold: Readonly<Record<Engine, number>>;
  readonly cached: Readonly<Record<Engine, number>>;
}

/**
 * What the figures say about the report's gap (rootless podman about 3 min, the others under 1 min): whether it
 * comes from building rootless or from the vfs storage driver, by both rootless builds against rootful podman.
 */
export function rootlessVerdict(m: BuildMedians): string {
  const times = (e: Engine) => `${(m.cold[e] / m.cold.podman).toFixed(2)}× cold and ${(m.cached[e] / m.cached.podman).toFixed(2)}× cached`;
  const vfsWorse = m.cold["podman-rootless-vfs"] > m.cold["podman-rootless-overlay"] && m.cached["podman-rootless-vfs"] > m.cached["podman-rootless-overlay"];
  // A cached build is well under a second: its ratio is noisy, so the verdict on overlay rests on the cold build.
  const overlayClose = m.cold["podman-rootless-overlay"] / m.cold.podman <= 1.25;
  const verdict =
    vfsWorse && overlayClose
      ? "so the report's gap comes from the vfs driver (every layer a full copy), not from building rootless: rootless podman on native overlay builds about as fast as rootful"
      : "so building rootless costs more here than the vfs driver explains: the gap is not vfs's alone";
  return `Against rootful podman, rootless podman on vfs took ${times("podman-rootless-vfs")}, on native overlay ${times("podman-rootless-overlay")}; ${verdict}.`;
}
