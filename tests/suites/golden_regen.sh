#!/usr/bin/env bash
# The committed golden vectors (tests/golden) still come out of the reference:
# tools/reference/golden.py regenerates them into a temporary directory and
# build/golden-tool compares each file with the committed one, tensor by
# tensor (tolerances and why: tests/tools/golden_tool.c, compare): floats
# within 1e-5 relative, decoded images within 1 level, token ids and
# metadata equal.  Without this the reference and the runtime could drift
# apart with every test green.  ~5 s.  SKIP when torch is missing.
set -u
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
gt=build/golden-tool
if ! "$py" -c 'import torch, numpy, sentencepiece' 2>/dev/null; then
    echo "SKIP golden_regen: tool missing: /usr/bin/python3 with torch, numpy and sentencepiece"
    exit 0
fi
if [ ! -x "$gt" ]; then
    echo "FAIL golden_regen: $gt not built (run make)"; exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! "$py" tools/reference/golden.py --demo models/mdm-fmnist --out "$tmp" >"$tmp/log" 2>&1; then
    echo "FAIL golden_regen: golden.py failed"; tail -20 "$tmp/log"; exit 1
fi
# compare NAME FILE: a regenerated safetensors file against the committed one
compare() {
    local out
    if out=$("$gt" compare "tests/golden/$2" "$tmp/$2" 2>&1); then
        echo "PASS golden_regen.$1 (${out##*$'\n'})"
    else
        echo "FAIL golden_regen.$1: tests/golden/$2 differs from the reference's output"
        echo "$out" | head -20
    fi
}
compare random random/golden.safetensors
compare random_weights random/model.safetensors
compare demo demo/golden.safetensors
for f in random/config.json random/vocab.tsv; do
    if cmp -s "tests/golden/$f" "$tmp/$f"; then echo "PASS golden_regen.$f"
    else echo "FAIL golden_regen.$f: differs from the reference's output"; fi
done
