#!/usr/bin/env bash
# make run: generate an image with the shipped model, then caption it back.
#   tools/run_demo.sh MDM MODEL      (PROMPT, SEED and OUT override the defaults)
set -eu
mdm=$1; model=$2
prompt=${PROMPT:-a photo of a sneaker}
seed=${SEED:-1}
out=${OUT:-build/demo.png}
if [ ! -x "$mdm" ]; then
    echo "make run: $mdm is not built (run make)" >&2; exit 1
fi
if [ ! -f "$model" ]; then
    echo "make run: $model is not there; 'make models' converts models/mdm-fmnist/ into it" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
"$mdm" generate -m "$model" -p "$prompt" -o "$out" --seed "$seed" >/dev/null
caption=$("$mdm" caption -m "$model" -i "$out" --seed "$seed")
echo "prompt:  $prompt"
echo "image:   $out"
echo "caption: $caption"
