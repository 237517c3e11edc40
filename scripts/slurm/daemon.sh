#!/usr/bin/env bash
# Brings a Slurm daemon to the state a configuration change needs, and says what it did.
#
#   ensure-running  enable the unit and start it if it is not active; a running daemon is left alone
#   restart         restart it (for changes Slurm reads only at start: restart.ts says which)
#   reconfigure     `scontrol reconfigure`: every daemon re-reads its files, jobs keep running; run on
#                   the controller (UNIT must be slurmctld), retried while slurmctld is coming up
#   restart-if-stale UNIT FILE...      restart only when a FILE changed after the daemon started (or after
#                   its last reconfigure): what a changed restart-class setting needs, and nothing when the
#                   command runs again with nothing new (a re-run, or a replaced Pulumi resource)
#   reconfigure-if-stale slurmctld FILE...  reconfigure only when a FILE changed after slurmctld started and
#                   after the last reconfigure
#
# After a start or restart it waits, bounded, until the daemon stays up (Type=simple units are "active"
# at once and die a moment later on a bad configuration) and, for slurmctld, answers `scontrol ping`.
# On failure it prints the unit's last log lines and exits 1.
#
# Usage: daemon.sh ensure-running|restart|reconfigure slurmctld|slurmd|munge
#        daemon.sh restart-if-stale|reconfigure-if-stale UNIT FILE...
set -euo pipefail

UP_TIMEOUT=60     # seconds a daemon may take to come up
STABLE_CHECKS=4   # consecutive "active" checks, 0.5 s apart, that count as staying up
RECONFIG_TRIES=30 # scontrol reconfigure attempts, 1 s apart

usage() {
  echo "usage: daemon.sh ensure-running|restart|reconfigure slurmctld|slurmd|munge" >&2
  exit 2
}
(($# >= 2)) || usage
action=$1 unit=$2
shift 2
files=("$@")
[[ "$unit" =~ ^(slurmctld|slurmd|munge)$ ]] || usage
case "$action" in
  *-if-stale) ((${#files[@]} > 0)) || usage ;;
  *) ((${#files[@]} == 0)) || usage ;;
esac
STAMP_DIR=${IE_INFRA_STAMP_DIR:-/run/ie-infra}  # reconfigure stamps; a reboot starts every daemon afresh, so they need not survive it

fail() {
  echo "daemon.sh: $1" >&2
  systemctl status --no-pager --lines=0 "$unit" >&2 || true
  journalctl --no-pager --unit="$unit" --lines=30 >&2 || true
  exit 1
}

# wait_up: the unit stays active for STABLE_CHECKS checks in a row, within UP_TIMEOUT.
wait_up() {
  local stable=0 check state
  for ((check = 1; check <= UP_TIMEOUT * 2; check++)); do
    state=$(systemctl is-active "$unit" || true)
    case "$state" in
      active) stable=$((stable + 1)) ;;
      failed) fail "$unit failed to start" ;;
      *) stable=0 ;;
    esac
    if ((stable >= STABLE_CHECKS)); then
      [[ "$unit" == slurmctld ]] && wait_ping
      return 0
    fi
    sleep 0.5
  done
  fail "$unit is not up after ${UP_TIMEOUT}s (state: $state)"
}

# wait_ping: slurmctld answers scontrol ping (it listens only after loading its state).
wait_ping() {
  local check
  for ((check = 1; check <= UP_TIMEOUT; check++)); do
    if scontrol ping 2>/dev/null | grep -q 'is UP'; then
      return 0
    fi
    sleep 1
  done
  fail "slurmctld does not answer scontrol ping after ${UP_TIMEOUT}s"
}

# epoch seconds (with fractions) of the unit's last start; 0 when it never started.
started_at() {
  local ts
  ts=$(systemctl show -p ActiveEnterTimestamp --value --timestamp=us+utc "$unit")
  if [[ -z "$ts" || "$ts" == "n/a" ]]; then echo 0; else date -d "$ts" +%s.%N; fi
}

# stale: some FILE was modified after the daemon's start and after its last reconfigure stamp.
stale() {
  local ref stamp mtime file
  ref=$(started_at)
  stamp="$STAMP_DIR/reconfigured.$unit"
  if [[ -e "$stamp" ]]; then
    mtime=$(stat -c %.9Y "$stamp")
    ref=$(awk -v a="$ref" -v b="$mtime" 'BEGIN { print (b > a) ? b : a }')
  fi
  for file in "${files[@]}"; do
    [[ -e "$file" ]] || continue
    mtime=$(stat -c %.9Y "$file")
    if awk -v m="$mtime" -v r="$ref" 'BEGIN { exit !(m > r) }'; then
      echo "$file changed after $unit last read it"
      return 0
    fi
  done
  return 1
}

reconfigure() {
  local try output=""
  for ((try = 1; try <= RECONFIG_TRIES; try++)); do
    if output=$(scontrol reconfigure 2>&1); then
      mkdir -p "$STAMP_DIR"
      touch "$STAMP_DIR/reconfigured.$unit"
      echo "reconfigured: scontrol reconfigure (attempt $try)"
      return 0
    fi
    sleep 1
  done
  fail "scontrol reconfigure failed $RECONFIG_TRIES times; last answer: $output"
}

case "$action" in
  restart-if-stale)
    if ! systemctl is-active --quiet "$unit"; then
      systemctl start "$unit"
      wait_up
      echo "started $unit"
    elif stale; then
      systemctl restart "$unit"
      wait_up
      echo "restarted $unit"
    else
      echo "unchanged: $unit already runs with the current files"
    fi
    ;;
  reconfigure-if-stale)
    [[ "$unit" == slurmctld ]] || usage
    if stale; then reconfigure; else echo "unchanged: $unit already runs with the current files"; fi
    ;;
  ensure-running)
    if ! systemctl is-enabled --quiet "$unit"; then
      systemctl enable --quiet "$unit"
      echo "enabled $unit"
    fi
    if systemctl is-active --quiet "$unit"; then
      echo "unchanged: $unit already running"
    else
      systemctl start "$unit"
      wait_up
      echo "started $unit"
    fi
    ;;
  restart)
    systemctl restart "$unit"
    wait_up
    echo "restarted $unit"
    ;;
  reconfigure)
    [[ "$unit" == slurmctld ]] || usage
    reconfigure
    ;;
  *) usage ;;
esac
