#!/usr/bin/env bash
# Installs the Slurm packages of a host's role (no Recommends) and creates the directories the daemons
# write to, owned by the slurm user. Does not start the Slurm daemon.
#
# Why the daemon stays stopped: the package would start it at once, with whatever munge key the munge
# package generated, before the cluster's key is in place; such a slurmd then takes ~30 s to stop. So the
# role's unit is masked for this boot (`systemctl mask --runtime`, gone at reboot) while apt runs, and
# unmasked afterwards: nothing else on the host is affected. munge itself may start with its packaged key;
# munge-key.sh replaces the key and restarts it. The caller starts the daemon (daemon.sh ensure-running)
# once the munge key and the configuration files are in place.
#
# Usage: install.sh ROLE      ROLE = controller (slurmctld, munge) | compute (slurmd, munge, slurm-client)
#
# slurm-client on compute nodes: ie-podman on a node that is also a container host takes its GPUs from Slurm
# with salloc, scontrol, squeue and scancel (Debian's slurmd pulls it in today; naming it keeps it there).
set -euo pipefail

LOCK_WAIT=300 # seconds apt waits for another apt/dpkg run on the host to finish
LOG_DIR=/var/log/slurm

usage() {
  echo "usage: install.sh controller|compute" >&2
  exit 2
}
(($# == 1)) || usage
case "$1" in
  controller) daemon=slurmctld spool=/var/spool/slurmctld packages=(slurmctld munge) ;;
  compute) daemon=slurmd spool=/var/spool/slurmd packages=(slurmd munge slurm-client) ;;
  *) usage ;;
esac

missing=()
for pkg in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know a package (a freshly installed host).
  for pkg in "${missing[@]}"; do
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
      echo "refreshing package lists: apt does not know $pkg"
      apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q update
      break
    fi
  done
  systemctl mask --runtime --quiet "$daemon.service"
  trap 'systemctl unmask --runtime --quiet "$daemon.service"' EXIT
  apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" -q -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${missing[@]}"
  systemctl unmask --runtime --quiet "$daemon.service"
  trap - EXIT
  echo "changed: installed ${missing[*]} ($daemon not started)"
else
  echo "unchanged: ${packages[*]} already installed"
fi

# ensure_dir PATH MODE: the directory exists, owned by slurm:slurm, with that mode.
ensure_dir() {
  local dir=$1 mode=$2
  if [[ ! -d "$dir" ]]; then
    install -d -m "$mode" -o slurm -g slurm "$dir"
    echo "changed: created $dir"
    return
  fi
  local want
  want="$(printf '%o' "$((8#$mode))") slurm:slurm"
  if [[ "$(stat -c '%a %U:%G' "$dir")" != "$want" ]]; then
    chown slurm:slurm "$dir"
    chmod "$mode" "$dir"
    echo "changed: $dir is now $want"
  else
    echo "unchanged: $dir"
  fi
}

ensure_dir "$LOG_DIR" 0755
ensure_dir "$spool" 0755
