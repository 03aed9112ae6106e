#!/usr/bin/env bash
# The issue-12 targets in one command (tools/bench/laptop.sh [ROUNDS]):
# mdm-bench-step alternates, in one process, one denoiser step (batch 1) of
# the S preset Q8_0 model on avx512 with 1 and 2 threads, avx2 and avx2-vnni
# on 1 thread, and the same preset at 1,024 pixels (4,163 tokens) on
# avx512, each round after a measure of the int8 dot peak; it prints the
# ratios against the matmul floor and against each other.  Then the S
# context's bytes (every context runs batch 2) on 1 and 2 threads.
# Models are made with mdm-convert --random S --image-size N into build/m/.
set -eu
cd "$(dirname "$0")/../.."
b=${BUILD:-build}; rounds=${1:-9}; m=$b/m
mkdir -p "$m"
for s in 256 1024; do
    [ -f "$m/s$s-q8_0.gguf" ] ||
        "$b/mdm-convert" --random S --type q8_0 --image-size "$s" -o "$m/s$s-q8_0.gguf" >/dev/null
done
"$b/mdm-bench-step" "$m/s256-q8_0.gguf" --long "$m/s1024-q8_0.gguf" --rounds "$rounds"
for t in 1 2; do
    bytes=$("$b/mdm" bench -m "$m/s256-q8_0.gguf" --step-only --runs 1 --threads "$t" --json |
            sed -n 's/.*"context_bytes": \([0-9]*\).*/\1/p')
    echo "S context (batch 2), $t thread(s): $bytes bytes (target <= 32 MB = 32,000,000)"
done
