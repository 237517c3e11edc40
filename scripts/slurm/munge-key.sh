#!/usr/bin/env bash
# Makes munged run with the key that /etc/munge/munge.key holds now. The key file itself is a ManagedFile
# (0400 munge:munge, written atomically by write-file.sh with the key on STDIN): this script never sees it.
#
# munged reads its key only when it starts. When the key file changed after munged's start, the Slurm
# daemons named as arguments are stopped first: while munged still has the old key they stop at once, but a
# daemon left running across a key switch cannot authenticate its shutdown and takes ~30 s. Then munge is
# restarted. Start the daemons again afterwards (daemon.sh ensure-running). On a fresh host they are not
# running (install.sh keeps them stopped). Run again with nothing new, it restarts nothing.
#
# Usage: munge-key.sh [UNIT...]     UNIT: slurmctld and/or slurmd on this host
set -euo pipefail

KEY=/etc/munge/munge.key
MIN_BYTES=32 # munged refuses shorter keys

for unit in "$@"; do
  if [[ ! "$unit" =~ ^(slurmctld|slurmd)$ ]]; then
    echo "munge-key.sh: only slurmctld or slurmd may be stopped for a key change, got '$unit'" >&2
    exit 2
  fi
done
if [[ ! -f "$KEY" || -L "$KEY" ]]; then
  echo "munge-key.sh: $KEY is missing or not a regular file: the stack writes it before this runs" >&2
  exit 1
fi
size=$(stat -c %s "$KEY")
if ((size < MIN_BYTES)); then
  echo "munge-key.sh: $KEY has $size bytes; munge needs at least $MIN_BYTES" >&2
  exit 1
fi

# epoch seconds (with fractions) of munge's last start; 0 when it is not running.
munge_started_at() {
  local ts
  systemctl is-active --quiet munge || { echo 0; return; }
  ts=$(systemctl show -p ActiveEnterTimestamp --value --timestamp=us+utc munge)
  if [[ -z "$ts" || "$ts" == "n/a" ]]; then echo 0; else date -d "$ts" +%s.%N; fi
}

if ! systemctl is-enabled --quiet munge; then
  systemctl enable --quiet munge
  echo "enabled munge"
fi
key_mtime=$(stat -c %.9Y "$KEY")
started=$(munge_started_at)
if awk -v s="$started" 'BEGIN { exit !(s == 0) }'; then
  systemctl start munge
  echo "started munge"
elif awk -v m="$key_mtime" -v s="$started" 'BEGIN { exit !(m > s) }'; then
  for unit in "$@"; do
    if systemctl is-active --quiet "$unit"; then
      systemctl stop "$unit"
      echo "stopped $unit before munge switches keys"
    fi
  done
  systemctl restart munge
  echo "restarted munge: $KEY changed after it started"
else
  echo "unchanged: munge already runs with $KEY"
fi

# munge forks and is ready when systemctl returns; a credential round trip proves it works.
for ((attempt = 1; attempt <= 20; attempt++)); do
  if munge --no-input | unmunge >/dev/null 2>&1; then
    echo "munge works (credential encoded and decoded)"
    exit 0
  fi
  sleep 0.5
done
echo "munge-key.sh: munge does not encode/decode credentials after 10 s; see journalctl -u munge" >&2
exit 1
