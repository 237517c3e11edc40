#!/usr/bin/env bash
# Start one lab host: join the host's private cgroups (one directory per cgroup hierarchy), then become
# systemd-nspawn, so that nspawn and everything it starts live there from the first instant and the PID
# the caller recorded is nspawn's. Run it in a new session (the caller uses setsid), output to the host's log.
#
# Usage: boot-host.sh CGROUP_DIR... -- SYSTEMD_NSPAWN_ARGUMENT...
# Not meant to run twice for one host: the second nspawn refuses the root directory the first one holds.
set -euo pipefail

dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  dirs+=("$1")
  shift
done
if [ $# -eq 0 ] || [ ${#dirs[@]} -eq 0 ]; then
  echo "usage: boot-host.sh CGROUP_DIR... -- SYSTEMD_NSPAWN_ARGUMENT..." >&2
  exit 2
fi
shift

for dir in "${dirs[@]}"; do
  echo $$ >"$dir/cgroup.procs"
done
echo "boot-host: pid $$ joined ${#dirs[@]} cgroups; exec systemd-nspawn $*"
exec systemd-nspawn "$@"
