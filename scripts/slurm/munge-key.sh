#!/usr/bin/env bash
# Installs the cluster's munge key and makes sure munge is enabled and running with it.
#
# The key comes on STDIN as base64 (of 1024 random bytes), never as an argument or in the output: argv
# is visible to every user in ps. It replaces /etc/munge/munge.key (0400 munge:munge, atomically) only
# when it differs; munge is restarted only then.
#
# Slurm daemons named as arguments are stopped *before* a different key replaces the old one: a daemon
# left running while munge changes keys cannot authenticate its shutdown messages and takes ~30 s to
# stop. They are only stopped when the key changes; start them again afterwards (daemon.sh
# ensure-running). On a fresh host they are not running (install.sh keeps them stopped).
#
# Usage: munge-key.sh [UNIT...] < key.base64     UNIT: slurmctld and/or slurmd on this host
# Prints "changed /etc/munge/munge.key" or "unchanged /etc/munge/munge.key", then what it did to units.
set -euo pipefail

KEY=/etc/munge/munge.key
MIN_BYTES=32 # munged refuses shorter keys

for unit in "$@"; do
  if [[ ! "$unit" =~ ^(slurmctld|slurmd)$ ]]; then
    echo "munge-key.sh: only slurmctld or slurmd may be stopped for a key change, got '$unit'" >&2
    exit 2
  fi
done
if [[ -t 0 ]]; then
  echo "munge-key.sh: the key is read from STDIN (base64), not from a terminal" >&2
  exit 2
fi

if [[ ! -d /etc/munge ]]; then
  install -d -m 0700 -o munge -g munge /etc/munge
  echo "created /etc/munge"
fi
umask 077
tmp=$(mktemp "/etc/munge/.munge.key.XXXXXX")
trap 'rm -f "$tmp"' EXIT
if ! base64 --decode >"$tmp" 2>/dev/null; then
  echo "munge-key.sh: STDIN is not base64" >&2
  exit 1
fi
size=$(stat -c %s "$tmp")
if ((size < MIN_BYTES)); then
  echo "munge-key.sh: the key has $size bytes; munge needs at least $MIN_BYTES" >&2
  exit 1
fi

if [[ -f "$KEY" && ! -L "$KEY" ]] && cmp -s "$tmp" "$KEY"; then
  echo "unchanged $KEY"
  if [[ "$(stat -c '%a %U:%G' "$KEY")" != "400 munge:munge" ]]; then
    chown munge:munge "$KEY"
    chmod 0400 "$KEY"
    echo "changed: $KEY is now 0400 munge:munge"
  fi
  key_changed=no
else
  for unit in "$@"; do
    if systemctl is-active --quiet "$unit"; then
      systemctl stop "$unit"
      echo "stopped $unit before the key change"
    fi
  done
  chown munge:munge "$tmp"
  chmod 0400 "$tmp"
  mv -f "$tmp" "$KEY"
  trap - EXIT
  echo "changed $KEY"
  key_changed=yes
fi

if ! systemctl is-enabled --quiet munge; then
  systemctl enable --quiet munge
  echo "enabled munge"
fi
if [[ "$key_changed" == yes ]]; then
  systemctl restart munge
  echo "restarted munge"
elif ! systemctl is-active --quiet munge; then
  systemctl start munge
  echo "started munge"
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
