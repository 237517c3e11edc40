#!/usr/bin/env bash
# Creates the department's ordinary users: each gets a group of the same name and id, a home directory
# and, when a key is given, that key in ~/.ssh/authorized_keys (added if absent; keys the user added
# themselves stay). Safe to run again. An existing account or group with another id is an error, never
# renumbered silently (files on shared storage belong to the old id). Accounts that left the inventory
# are not removed.
#
# Usage: users.sh [NAME UID SSHKEY]...   (three arguments per user; SSHKEY may be '' for none)
set -euo pipefail

if (($# % 3 != 0)); then
  echo "users.sh: expected NAME UID SSHKEY triples, got $# arguments" >&2
  exit 2
fi

ensure_group() {
  local name=$1 gid=$2 existing
  if existing=$(getent group "$name"); then
    if [[ $(cut -d: -f3 <<<"$existing") != "$gid" ]]; then
      echo "users.sh: group $name exists with gid $(cut -d: -f3 <<<"$existing"), inventory says $gid" >&2
      exit 1
    fi
    return
  fi
  if existing=$(getent group "$gid"); then
    echo "users.sh: gid $gid already belongs to group $(cut -d: -f1 <<<"$existing"), wanted for $name" >&2
    exit 1
  fi
  groupadd --gid "$gid" "$name"
  echo "changed: created group $name ($gid)"
}

ensure_user() {
  local name=$1 uid=$2 existing
  if existing=$(getent passwd "$name"); then
    if [[ $(cut -d: -f3 <<<"$existing") != "$uid" ]]; then
      echo "users.sh: user $name exists with uid $(cut -d: -f3 <<<"$existing"), inventory says $uid" >&2
      exit 1
    fi
    return
  fi
  if existing=$(getent passwd "$uid"); then
    echo "users.sh: uid $uid already belongs to $(cut -d: -f1 <<<"$existing"), wanted for $name" >&2
    exit 1
  fi
  useradd --uid "$uid" --gid "$uid" --create-home --shell /bin/bash "$name"
  echo "changed: created user $name ($uid)"
}

ensure_key() {
  local name=$1 uid=$2 key=$3 home rc
  home=$(getent passwd "$name" | cut -d: -f6)
  # Everything under the home directory happens as the user: a symlink the user planted (~/.ssh ->
  # /root/.ssh, authorized_keys -> /etc/shadow) then cannot redirect a root write or chmod.
  # shellcheck disable=SC2016 # the inner script expands its own $1/$2
  if setpriv --reuid "$uid" --regid "$uid" --clear-groups bash -c '
    set -euo pipefail
    umask 077
    mkdir -p "$1/.ssh"
    touch "$1/.ssh/authorized_keys"
    if grep -qxF -- "$2" "$1/.ssh/authorized_keys"; then exit 3; fi
    printf "%s\n" "$2" >>"$1/.ssh/authorized_keys"
    chmod 600 "$1/.ssh/authorized_keys"
  ' ensure-key "$home" "$key"; then
    echo "changed: authorized key for $name"
  else
    rc=$?
    if ((rc != 3)); then
      echo "users.sh: could not add the key of $name (exit $rc)" >&2
      exit 1
    fi
  fi
}

while (($# > 0)); do
  name=$1 uid=$2 key=$3
  shift 3
  if [[ ! "$name" =~ ^[a-z][a-z0-9-]*$ || ! "$uid" =~ ^[0-9]+$ ]]; then
    echo "users.sh: bad user '$name' / uid '$uid'" >&2
    exit 2
  fi
  ensure_group "$name" "$uid"
  ensure_user "$name" "$uid"
  if [[ -n "$key" ]]; then
    ensure_key "$name" "$uid" "$key"
  fi
done
echo "users in place"
