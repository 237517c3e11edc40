#!/usr/bin/env bash
# Registers the entities of a keyring (keys and caps) with the cluster: `ceph auth import`, which adds an
# entity or brings its key and caps to the keyring's. The keyring comes on STDIN (it holds keys: never an
# argument). Needs the admin keyring. Prints which entities changed.
#
# Usage: auth-import.sh < keyring
set -euo pipefail

[[ ! -t 0 ]] || { echo "auth-import.sh: the keyring is read from STDIN" >&2; exit 2; }
umask 077
keyring=$(mktemp)
trap 'rm -f "$keyring"' EXIT
cat >"$keyring"
mapfile -t entities < <(sed -n 's/^\[\(.*\)\]$/\1/p' "$keyring")
((${#entities[@]} > 0)) || { echo "auth-import.sh: no entity in the keyring on STDIN" >&2; exit 2; }
for entity in "${entities[@]}"; do
  before=$(ceph auth get "$entity" 2>/dev/null || true)
  ceph auth import -i "$keyring" 2>/dev/null
  after=$(ceph auth get "$entity" 2>/dev/null)
  if [[ "$before" == "$after" ]]; then echo "unchanged: $entity"; else echo "changed: $entity"; fi
done
