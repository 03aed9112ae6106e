#!/usr/bin/env bash
# The mdm command end to end: --help everywhere, usage errors (exit 2), bad
# models, images and prompts (exit 3), a failed write (exit 4), and real runs
# on the golden random model (converted here with build/mdm-convert): seeded
# generation matches the reference image and the caption the reference text.
# Images are decoded and golden.safetensors unpacked with build/golden-tool
# (tests/tools/golden_tool.c: the project's own decoders), so no python3.
set -u
cd "$(dirname "$0")/../.."
mdm=build/mdm
gt=build/golden-tool
if [ ! -x "$mdm" ] || [ ! -x build/mdm-convert ] || [ ! -x "$gt" ]; then
    echo "FAIL cli: build/mdm, build/mdm-convert or $gt not built (run make)"; exit 1
fi
tmp=build/cli-test
rm -rf "$tmp"; mkdir -p "$tmp"
model=$tmp/golden-f32.gguf
if ! build/mdm-convert --checkpoint tests/golden/random -o "$model" >"$tmp/convert.log" 2>&1; then
    echo "FAIL cli: converting tests/golden/random: $(cat "$tmp/convert.log")"; exit 1
fi

# expect NAME CODE CMD...: CMD exits with CODE; its stdout/stderr in $tmp/out, $tmp/err.
expect() {
    local name=$1 code=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" -eq "$code" ]; then echo "PASS cli.$name"
    else echo "FAIL cli.$name: exit $rc, want $code: $(head -c 300 "$tmp/err")"; fi
}
# check NAME COND...: a test on what the last command left.
check() {
    local name=$1; shift
    if "$@"; then echo "PASS cli.$name"; else echo "FAIL cli.$name"; fi
}
differ() { ! cmp -s "$1" "$2"; }

# ---- help and usage --------------------------------------------------------
for c in generate caption vqa info bench; do
    expect "help_$c" 0 "$mdm" "$c" --help
    check "help_${c}_text" grep -q "^usage: mdm $c" "$tmp/out"
done
expect help 0 "$mdm" --help
expect usage_none 2 "$mdm"
expect usage_unknown_command 2 "$mdm" paint
expect usage_no_prompt 2 "$mdm" generate -m "$model" -o "$tmp/x.png"
expect usage_no_output 2 "$mdm" generate -m "$model" -p "a bag"
expect usage_steps_zero 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --steps 0
expect usage_steps_text 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --steps ten
expect usage_sampler 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --sampler ddim
expect usage_seed_negative 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --seed -1
expect usage_guidance 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --guidance nan
expect usage_count 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --count 0
expect usage_unknown_option 2 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/x.png" --fast
expect usage_missing_value 2 "$mdm" generate -m "$model" -p
expect usage_caption_no_image 2 "$mdm" caption -m "$model"
expect usage_vqa_no_question 2 "$mdm" vqa -m "$model" -i tests/data/images/ct2_d8.png
expect usage_caption_sampler 2 "$mdm" caption -m "$model" -i x.png --sampler heun
expect usage_info_two_models 2 "$mdm" info "$model" -m "$model"
expect usage_bench_runs 2 "$mdm" bench -m "$model" --runs 0

# ---- bad input ---------------------------------------------------------------
head -c 4096 /dev/urandom >"$tmp/garbage.gguf"
head -c 1000 "$model" >"$tmp/truncated.gguf"
expect bad_model_missing 3 "$mdm" generate -m "$tmp/nope.gguf" -p "a bag" -o "$tmp/x.png"
check bad_model_message grep -q "nope.gguf" "$tmp/err"
expect bad_model_garbage 3 "$mdm" caption -m "$tmp/garbage.gguf" -i tests/data/images/ct2_d8.png
expect bad_model_truncated 3 "$mdm" info "$tmp/truncated.gguf"
expect bad_model_directory 3 "$mdm" info "$tmp"
expect bad_image_missing 3 "$mdm" caption -m "$model" -i "$tmp/nope.png"
expect bad_image_crc 3 "$mdm" caption -m "$model" -i tests/data/images/bad_crc.png
expect bad_image_not_image 3 "$mdm" caption -m "$model" -i tests/golden/random/config.json
expect bad_image_huge 3 "$mdm" caption -m "$model" -i tests/data/images/huge.png
expect bad_prompt_too_long 3 "$mdm" generate -m "$model" -o "$tmp/x.png" \
    -p "$(printf 'a %.0s' $(seq 1 100))"
expect bad_question_too_long 3 "$mdm" vqa -m "$model" -i tests/data/images/ct2_d8.png \
    -q "$(printf 'is %.0s' $(seq 1 100))"
expect write_failure 4 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/no/such/dir/x.png" --steps 1
# one exit-status rule for every tool (tools/exit_status.h): a missing file is 3 in each
expect convert_missing_model 3 build/mdm-convert --info "$tmp/nope.gguf"
expect convert_missing_checkpoint 3 build/mdm-convert --checkpoint "$tmp/nope" -o "$tmp/x.gguf"
expect convert_write_failure 4 build/mdm-convert --random micro -o "$tmp/no/such/dir/x.gguf"
expect convert_unknown_argument 2 build/mdm-convert --info "$model" --fast
expect bench_unknown_argument 2 "$mdm" bench -m "$model" --fast
expect bench_kernels_unknown_argument 2 build/mdm-bench-kernels --fast
expect bench_memory_help 0 build/mdm-bench-memory --help
check bench_memory_help_text grep -q "^usage: mdm-bench-memory" "$tmp/out"
expect bench_memory_unknown_argument 2 build/mdm-bench-memory --fast
expect bench_memory_threads_missing 2 build/mdm-bench-memory "$model" --threads
expect bench_step_help 0 build/mdm-bench-step --help
check bench_step_help_text grep -q "^usage: mdm-bench-step" "$tmp/out"
expect bench_step_rounds_zero 2 build/mdm-bench-step "$model" --rounds 0
expect bench_step_no_model 3 build/mdm-bench-step "$tmp/no-such.gguf"
expect bench_pipes_help 0 build/mdm-bench-pipes --help
check bench_pipes_help_text grep -q "^usage: mdm-bench-pipes" "$tmp/out"
expect bench_pipes_unknown_argument 2 build/mdm-bench-pipes --fast

# ---- runs ------------------------------------------------------------------
expect info 0 "$mdm" info "$model"
check info_text grep -q "^architecture *mdm" "$tmp/out"
expect info_json 0 "$mdm" info "$model" --json
check info_json_object grep -q '"d_model": *32' "$tmp/out"
expect generate 0 "$mdm" generate -m "$model" -p "a photo of a bag" -o "$tmp/a.png" --seed 3 --steps 4
check generate_png_magic cmp -s -n 8 "$tmp/a.png" tests/data/images/ct2_d8.png
# decoded: the model's 32x32 gray, not one flat value; the PNG holds the same
# pixels as the PGM of the same run
"$gt" image "$tmp/a.png" >"$tmp/a.stat" 2>&1
check generate_png_decodes grep -q '^32 32 1 ' "$tmp/a.stat"
check generate_png_not_flat awk '{ exit !($4 < $5) }' "$tmp/a.stat"
expect generate_pgm 0 "$mdm" generate -m "$model" -p "a photo of a bag" -o "$tmp/a.pgm" --seed 3 --steps 4
check generate_png_equals_pgm "$gt" same "$tmp/a.png" "$tmp/a.pgm"
check generate_quiet_stderr test ! -s "$tmp/err" # no progress bar when stderr is not a terminal
expect generate_again 0 "$mdm" generate -m "$model" -p "a photo of a bag" -o "$tmp/b.png" --seed 3 --steps 4
check generate_deterministic cmp -s "$tmp/a.png" "$tmp/b.png"
expect generate_count 0 "$mdm" generate -m "$model" -p "a bag" -o "$tmp/many.png" --count 2 \
    --steps 2 --sampler heun --guidance 1.5 --shift 2 --json
check generate_count_files test -s "$tmp/many-0.png" -a -s "$tmp/many-1.png"
check generate_count_differ differ "$tmp/many-0.png" "$tmp/many-1.png"
check generate_json grep -q '"file": "build/cli-test/many-1.png", "seed": 1' "$tmp/out"
expect caption_other_size 0 "$mdm" caption -m "$model" -i tests/data/images/ct6_d8.png --steps 2
check caption_text test -s "$tmp/out"
expect vqa 0 "$mdm" vqa -m "$model" -i "$tmp/a.png" -q "is this footwear?" --steps 2 --json
check vqa_json grep -q '^{"text": ".*"}$' "$tmp/out"
expect bench 0 "$mdm" bench -m "$model" --runs 1 --json
check bench_json grep -q '"denoiser_step_ms": [0-9.]*, .*"peak_rss_bytes"\|"peak_rss_bytes": [0-9]*, .*"denoiser_step_ms"' "$tmp/out"

# ---- make run's script, on the golden model --------------------------------
OUT=$tmp/demo.png SEED=2 tools/run_demo.sh "$mdm" "$model" >"$tmp/demo.out" 2>"$tmp/err"
check demo_script grep -q "^image:   $tmp/demo.png" "$tmp/demo.out"
check demo_caption grep -q "^caption: ." "$tmp/demo.out"
check demo_image test -s "$tmp/demo.png"

# ---- against the reference (golden.safetensors) ----------------------------
g=tests/golden/random/golden.safetensors
if ! "$gt" pgm "$g" caption.image 32 32 "$tmp/caption.pgm" ||
   ! "$gt" pgm "$g" t2i.image 32 32 "$tmp/t2i.pgm" ||
   ! "$gt" meta "$g" prompt >"$tmp/prompt.txt" ||
   ! "$gt" meta "$g" caption_confident >"$tmp/caption.txt"; then
    echo "FAIL cli.golden_unpack: $g"; exit 1
fi
echo >>"$tmp/caption.txt"
expect golden_generate 0 "$mdm" generate -m "$model" -p "$(cat "$tmp/prompt.txt")" \
    -o "$tmp/gen.png" --seed 5 --steps 8 --guidance 2
check golden_generate_image "$gt" same "$tmp/gen.png" "$tmp/t2i.pgm"
expect golden_caption 0 "$mdm" caption -m "$model" -i "$tmp/caption.pgm" --seed 5 --steps 8
check golden_caption_text cmp -s "$tmp/out" "$tmp/caption.txt"
