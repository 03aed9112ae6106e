#!/usr/bin/env bash
# The issue-12 targets in one run (tools/bench/laptop.sh [RUNS]):
#   - S preset Q8_0 denoiser step (batch 1) on 1 and 2 threads against the
#     matmul floor: 2 x the step's matmul multiply-adds (the Mamba layers'
#     in_proj, x_proj, dt_proj, out_proj; embeddings and heads left out)
#     at the int8 dot peak that mdm-bench-kernels measures on 1 and 2 threads;
#   - the avx2 and avx2-vnni steps against the avx512 step (1 thread);
#   - the context's bytes (mdm_ctx_size: every context runs batch 2);
#   - the step at 1,024 pixels (4,163 tokens) against 256 (323 tokens).
# Models are made with mdm-convert --random S --image-size N into build/m/.
# Times are `mdm bench --step-only` medians: wall ms and process CPU ms (the
# CPU figure is the one to trust on a shared machine).
set -eu
cd "$(dirname "$0")/../.."
b=${BUILD:-build}; runs=${1:-3}; m=$b/m
mkdir -p "$m"
for s in 256 1024; do
    [ -f "$m/s$s-q8_0.gguf" ] ||
        "$b/mdm-convert" --random S --type q8_0 --image-size "$s" -o "$m/s$s-q8_0.gguf" >/dev/null
done
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }  # field NAME < JSON
step() {  # step MODEL ARGS... -> "wall_ms cpu_ms context_bytes"
    local j; j=$("$b/mdm" bench -m "$1" --step-only --runs "$runs" --json "${@:2}")
    echo "$(field denoiser_step_ms <<<"$j") $(field denoiser_step_cpu_ms <<<"$j") $(field context_bytes <<<"$j")"
}
peak=$("$b/mdm-bench-kernels" --quick --threads 2 | grep '^measured peak')
echo "$peak"
dot1=$(sed -n 's/.*int8 dot \([0-9.]*\) GOP\/s.*/\1/p' <<<"$peak")
dot2=$(sed -n 's/.*int8 dot [0-9.]* GOP\/s (1 thread), \([0-9.]*\) (2).*/\1/p' <<<"$peak")
info=$("$b/mdm" info --json "$m/s256-q8_0.gguf")
get() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$info" | head -1; }
macs=$(awk -v L="$(get n_layer)" -v T="$(get seq_len)" -v d="$(get d_model)" -v e="$(get expand)" \
           -v N="$(get d_state)" -v R="$(get dt_rank)" \
           'BEGIN { di = e * d; printf "%.0f", L * T * (d * 2 * di + di * (R + 2 * N) + R * di + di * d) }')
read -r w1 c1 ctx <<<"$(step "$m/s256-q8_0.gguf" --threads 1 --kernel avx512)"
read -r w2 c2 _ <<<"$(step "$m/s256-q8_0.gguf" --threads 2 --kernel avx512)"
read -r wa ca _ <<<"$(step "$m/s256-q8_0.gguf" --threads 1 --kernel avx2)"
read -r wv cv _ <<<"$(step "$m/s256-q8_0.gguf" --threads 1 --kernel avx2-vnni)"
read -r wl cl _ <<<"$(step "$m/s1024-q8_0.gguf" --threads 1 --kernel avx512)"
awk -v macs="$macs" -v dot1="$dot1" -v dot2="$dot2" -v w1="$w1" -v c1="$c1" -v w2="$w2" \
    -v c2="$c2" -v wa="$wa" -v ca="$ca" -v wv="$wv" -v cv="$cv" -v wl="$wl" -v cl="$cl" -v ctx="$ctx" 'BEGIN {
    f1 = 2 * macs / (dot1 * 1e6); f2 = 2 * macs / (dot2 * 1e6)
    printf "matmul multiply-adds per step %.2f G; floor %.1f ms (1 thread), %.1f ms (2)\n", macs / 1e9, f1, f2
    printf "step avx512 1 thread   wall %8.1f ms  CPU %8.1f ms  (%.2fx the floor by CPU; target <= 1.5)\n", w1, c1, c1 / f1
    printf "step avx512 2 threads  wall %8.1f ms  CPU %8.1f ms  (%.2fx the floor by wall; target <= 1.7)\n", w2, c2, w2 / f2
    printf "2 threads vs 1 (wall)  %.2fx (target >= 1.8)\n", w1 / w2
    printf "step avx2 1 thread     wall %8.1f ms  CPU %8.1f ms  (%.2fx avx512 by CPU; target <= 1.6)\n", wa, ca, ca / c1
    printf "step avx2-vnni 1 thread wall %7.1f ms  CPU %8.1f ms  (%.2fx avx512 by CPU; target <= 1.6)\n", wv, cv, cv / c1
    printf "step 4163 tokens       wall %8.1f ms  CPU %8.1f ms  (%.2fx 323 tokens by CPU; target <= 14)\n", wl, cl, cl / c1
    printf "S context (batch 2)    %d bytes = %.1f MiB (target <= 32 MB)\n", ctx, ctx / 1048576
}'
