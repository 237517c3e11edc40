#!/usr/bin/env bash
# Writes STDIN to PATH with the given mode and owner, only when the content, mode or owner differ;
# atomically (a temporary file in the same directory, then rename), so readers never see half a file.
# Creates the parent directory when missing. Prints "changed PATH" or "unchanged PATH".
#
# Usage: write-file.sh PATH MODE OWNER:GROUP    (content on STDIN; MODE octal such as 0644)
set -euo pipefail

if (($# != 3)); then
  echo "usage: write-file.sh PATH MODE OWNER:GROUP (content on STDIN)" >&2
  exit 2
fi
target=$1 mode=$2 owner=$3
if [[ "$target" != /* ]]; then
  echo "write-file.sh: PATH must be absolute, got '$target'" >&2
  exit 2
fi
if [[ ! "$mode" =~ ^[0-7]{3,4}$ ]]; then
  echo "write-file.sh: MODE must be octal such as 0644, got '$mode'" >&2
  exit 2
fi
if [[ ! "$owner" =~ ^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$ ]]; then
  echo "write-file.sh: OWNER:GROUP expected, got '$owner'" >&2
  exit 2
fi
want_mode=$(printf '%o' "$((8#$mode))") # 0644 -> 644, as stat prints it

dir=$(dirname "$target")
if [[ ! -d "$dir" ]]; then
  mkdir -p "$dir"
  echo "created directory $dir"
fi

# mktemp makes the file 0600, so content (possibly secret) is never readable by others on the way.
tmp=$(mktemp "$dir/.$(basename "$target").XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp"

if [[ -f "$target" && ! -L "$target" ]] && cmp -s "$tmp" "$target" &&
  [[ "$(stat -c '%a %U:%G' "$target")" == "$want_mode $owner" ]]; then
  echo "unchanged $target"
  exit 0
fi

chown "$owner" "$tmp"
chmod "$mode" "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
echo "changed $target"
