#!/usr/bin/env bash
# Makes the CephFS file system NAME on its metadata and data pools (`ceph fs new`), once. Needs the admin key.
#
# Usage: fs.sh NAME METADATA_POOL DATA_POOL
set -euo pipefail

(($# == 3)) || { echo "usage: fs.sh NAME METADATA_POOL DATA_POOL" >&2; exit 2; }
name=$1 metadata=$2 data=$3
if ceph fs ls --format json | python3 -c "import json,sys; sys.exit(0 if any(f['name'] == sys.argv[1] for f in json.load(sys.stdin)) else 1)" "$name"; then
  echo "unchanged: file system $name exists"
  exit 0
fi
ceph fs new "$name" "$metadata" "$data"
echo "changed: created file system $name (metadata $metadata, data $data)"
