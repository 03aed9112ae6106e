#!/usr/bin/env bash
# make run: generate an image with the shipped model, then caption it back.
set -eu
mdm=$1; model=$2
if [ ! -x "$mdm" ] || [ ! -f "$model" ]; then
    echo "make run: $mdm or $model is not there yet (see README: the runtime is being built)" >&2
    exit 1
fi
out=${OUT:-build/demo.png}
"$mdm" generate -m "$model" -p "${PROMPT:-a photo of a sneaker}" -o "$out" --seed "${SEED:-1}"
echo "image written to $out"
printf 'caption: '; "$mdm" caption -m "$model" -i "$out"
