#!/usr/bin/env bash
# Ceph 18 on Python 3.13 (Debian 13): mgr_util.py imports bcrypt at module level, and bcrypt is a PyO3
# module, which refuses to load in the mgr's sub-interpreters ("PyO3 modules do not yet support
# subinterpreters"): 13 mgr modules fail and the cluster reports HEALTH_WARN. This moves the import into
# the one function that uses it. It edits a packaged file: an upgrade of ceph-mgr-modules-core undoes it,
# and the next apply does it again. Does nothing where the import is not at module level.
#
# Usage: mgr-python-fix.sh
set -euo pipefail

FILE=/usr/share/ceph/mgr/mgr_util.py
if [[ ! -f "$FILE" ]]; then
  echo "mgr-python-fix.sh: $FILE is missing (ceph-mgr not installed?)" >&2
  exit 1
fi
if ! grep -q '^import bcrypt$' "$FILE"; then
  echo "unchanged: $FILE imports bcrypt lazily (or not at all)"
  exit 0
fi
if ! grep -q '^def password_hash(' "$FILE"; then
  echo "mgr-python-fix.sh: $FILE has a top-level 'import bcrypt' but no password_hash(): this Ceph needs another fix" >&2
  exit 1
fi
sed -i -e 's/^import bcrypt$/# import bcrypt: moved into password_hash() by ie-infra (PyO3 and sub-interpreters)/' \
  -e '/^def password_hash(/a\    import bcrypt' "$FILE"
python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" "$FILE"
echo "changed: $FILE imports bcrypt inside password_hash()"
