#!/usr/bin/env bash
# Reports what a managed file is on this host, for refresh and drift detection; changes nothing.
# Prints one line: "absent", "symlink", "not-a-file", or "present MODE OWNER:GROUP" followed by a second
# line with the content as base64 (binary files such as the munge key survive the trip unchanged), or with
# "sha256 HEX SIZE" when asked for the digest only (large artifacts: the state keeps only their hash).
#
# Usage: read-file.sh PATH [content|sha256]    (default content)
set -euo pipefail

if (($# < 1 || $# > 2)) || [[ "${2:-content}" != content && "${2:-content}" != sha256 ]]; then
  echo "usage: read-file.sh PATH [content|sha256]" >&2
  exit 2
fi
target=$1 what=${2:-content}
if [[ "$target" != /* ]]; then
  echo "read-file.sh: PATH must be absolute, got '$target'" >&2
  exit 2
fi

if [[ -L "$target" ]]; then
  echo symlink
elif [[ ! -e "$target" ]]; then
  echo absent
elif [[ ! -f "$target" ]]; then
  echo not-a-file
else
  stat -c 'present %a %U:%G' -- "$target"
  if [[ "$what" == sha256 ]]; then
    sum=$(sha256sum -- "$target")
    echo "sha256 ${sum%% *} $(stat -c %s -- "$target")"
  else
    base64 -w0 -- "$target"
    echo
  fi
fi
