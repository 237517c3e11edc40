#!/usr/bin/env bash
# Imports the golden image into the VM pool and gives it a protected snapshot that rental disks are cloned
# from. SOURCE is a raw or qcow2 image: a path on this host or an http(s) URL (fetched once). Does nothing
# when the snapshot exists and is protected; never replaces an existing image.
#
# Usage: golden.sh POOL IMAGE SNAPSHOT SOURCE
set -euo pipefail

if (($# != 4)); then
  echo "usage: golden.sh POOL IMAGE SNAPSHOT SOURCE" >&2
  exit 2
fi
pool=$1 image=$2 snap=$3 source=$4
rbd=(rbd --id libvirt)

if "${rbd[@]}" snap ls "$pool/$image" --format json 2>/dev/null | grep -q "\"name\":\"$snap\""; then
  if "${rbd[@]}" info "$pool/$image@$snap" | grep -q 'protected: True'; then
    echo "unchanged: $pool/$image@$snap exists, protected"
    exit 0
  fi
  "${rbd[@]}" snap protect "$pool/$image@$snap"
  echo "changed: protected $pool/$image@$snap"
  exit 0
fi

if ! "${rbd[@]}" info "$pool/$image" >/dev/null 2>&1; then
  file=$source
  if [[ "$source" =~ ^https?:// ]]; then
    file=/var/lib/ie/images/$(basename "$source")
    mkdir -p /var/lib/ie/images
    [[ -f "$file" ]] || { curl -fsSL --retry 3 -o "$file.part" "$source" && mv "$file.part" "$file"; }
  fi
  if [[ ! -f "$file" ]]; then
    echo "golden.sh: the golden image $file does not exist on $(hostname): put it there or name a URL" >&2
    exit 1
  fi
  format=$(qemu-img info --output=json "$file" | sed -n 's/.*"format": *"\([a-z0-9]*\)".*/\1/p' | head -n 1)
  qemu-img convert -p -f "$format" -O raw "$file" "rbd:$pool/$image:id=libvirt"
  echo "changed: imported $file ($format) as $pool/$image"
fi
"${rbd[@]}" snap create "$pool/$image@$snap"
"${rbd[@]}" snap protect "$pool/$image@$snap"
echo "changed: $pool/$image@$snap created and protected"
