#!/usr/bin/env bash
# Drains a container host for the refresh. ie-podman already refuses new containers here (its config.json says
# the host drains, and is written before this runs); this waits for the containers ie-podman started (those
# with its owner label OWNER_LABEL) to end: up to TIMEOUT_SECONDS, listing them (owner, name) every 30 s while
# any runs. Then:
#   - none left: done;
#   - some still running, FORCE no: they are listed and left running, and the drain succeeds: removing them
#     is the admins' call (ask the owners, or set force: true and apply again);
#   - FORCE yes: each is stopped and removed, and written to ie-podman's audit log AUDIT_LOG in ie-podman's own
#     format (one JSON line: time, uid, user, verb, args, decision, detail) under its owner's uid and name, so
#     the owner's trail shows who removed it and why (verb "drain", which no user can type).
# Other containers (not started by ie-podman) are not looked at. Safe to run again: it starts from what runs
# now; the leases of removed containers are dropped by ie-podman's next call, as for any container Podman lost.
#
# Usage: drain.sh TIMEOUT_SECONDS FORCE(yes|no) OWNER_LABEL AUDIT_LOG
set -euo pipefail

if (($# != 4)) || [[ ! "$1" =~ ^[0-9]+$ || ! "$2" =~ ^(yes|no)$ || ! "$3" =~ ^[A-Za-z0-9._-]+$ || "$4" != /* ]]; then
  echo "usage: drain.sh TIMEOUT_SECONDS yes|no OWNER_LABEL AUDIT_LOG (absolute)" >&2
  exit 2
fi
timeout=$1 force=$2 label=$3 audit_log=$4
interval=30
# Podman 5 warns on every call on cgroup v1 hosts (the lab); the warning is not the drain's business.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1

rows=()
# The running containers of ie-podman, one "ID OWNER_UID NAME" row each, into `rows`.
list() {
  local out
  out=$(podman ps --no-trunc --filter "label=$label" --format "{{.ID}} {{index .Labels \"$label\"}} {{.Names}}")
  rows=()
  if [[ -n "$out" ]]; then mapfile -t rows <<<"$out"; fi
}

# The user name of a uid, or "uid N" when the host does not know it.
user_of() {
  local name
  name=$(getent passwd "$1" | cut -d: -f1 || true)
  echo "${name:-uid $1}"
}

show() {
  local row id uid name
  for row in "${rows[@]}"; do
    read -r id uid name <<<"$row"
    echo "  $(user_of "$uid") (uid $uid): $name (${id:0:12})"
  done
}

# A JSON string: quotes, backslashes and the control characters a name could hold escaped.
json() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# One line of ie-podman's audit log (root-only, as ie-podman makes it), about the owner's container.
audit() {
  local uid=$1 user=$2 id=$3 detail=$4 line
  [[ "$uid" =~ ^[0-9]+$ ]] || uid=-1
  line=$(printf '{"time":%s,"uid":%s,"user":%s,"verb":"drain","args":[%s],"decision":"done","detail":%s}' \
    "$(json "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)")" "$uid" "$(json "$user")" "$(json "$id")" "$(json "$detail")")
  (
    umask 077
    mkdir -p -- "$(dirname -- "$audit_log")"
    printf '%s\n' "$line" >>"$audit_log"
  )
}

list
rounds=$(((timeout + interval - 1) / interval))
for ((round = 0; round < rounds && ${#rows[@]} > 0; round++)); do
  left=$((timeout - round * interval))
  echo "waiting for ${#rows[@]} container(s) of ie-podman to end, ${left}s left:"
  show
  sleep $((left < interval ? left : interval))
  list
done

if ((${#rows[@]} == 0)); then
  echo "drained: no container of ie-podman runs here"
  exit 0
fi
if [[ "$force" == no ]]; then
  echo "left running after ${timeout}s: ${#rows[@]} container(s) of ie-podman; removing them is the admins' call (force: true stops and removes them):"
  show
  exit 0
fi
echo "force: stopping and removing ${#rows[@]} container(s) of ie-podman still running after ${timeout}s:"
for row in "${rows[@]}"; do
  read -r id uid name <<<"$row"
  user=$(user_of "$uid")
  podman rm --force --time=10 --ignore -- "$id" >/dev/null
  audit "$uid" "$user" "$id" "stopped and removed $name (${id:0:12}) of $user: the host is drained for the refresh and it still ran after drainTimeout ${timeout}s (force: true)"
  echo "changed: stopped and removed $name (${id:0:12}) of $user (uid $uid)"
done
