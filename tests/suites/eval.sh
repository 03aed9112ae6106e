#!/usr/bin/env bash
# build/mdm-eval (tools/eval): options and exit codes, evaluate.py's caption
# parser, the gzip/idx/VQA-items readers on damaged copies of the dataset,
# a run on the golden random model (a model against itself agrees fully;
# results do not depend on the thread count), and the quality of the shipped
# q8_0 model on 200 test images, given as the 28x28 files with the CLI's
# defaults (confident sampler): thresholds just under what was measured on
# images 0..199 (caption 0.860, VQA 0.920; issue 8's targets, 0.85 and 0.90,
# are met on images 0..1999: 0.855 and 0.925), and q8_0 naming the same class
# as f32 on those images (measured 1.000; 0.998 on 1,000).  Parts that need the Debian dataset
# (dataset-fashion-mnist) or models/mdm-fmnist-q8_0.gguf say SKIP without them.
set -u
cd "$(dirname "$0")/../.."
ev=build/mdm-eval
data=/usr/share/datasets/fashion-mnist
shipped=models/mdm-fmnist-q8_0.gguf
if [ ! -x "$ev" ]; then
    echo "SKIP eval: build/mdm-eval not built (run make)"; exit 0
fi
tmp=build/eval-test
rm -rf "$tmp"; mkdir -p "$tmp"

# expect NAME CODE CMD...: CMD exits with CODE; stdout/stderr in $tmp/out, $tmp/err.
expect() {
    local name=$1 code=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" -eq "$code" ]; then echo "PASS eval.$name"
    else echo "FAIL eval.$name: exit $rc, want $code: $(head -c 300 "$tmp/err")"; fi
}
check() {
    local name=$1; shift
    if "$@"; then echo "PASS eval.$name"; else echo "FAIL eval.$name"; fi
}
# value KEY FILE: the number after "KEY " on its first line.
value() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

# ---- options --------------------------------------------------------------
expect help 0 "$ev" --help
check help_text grep -q "^usage: mdm-eval" "$tmp/out"
expect usage_unknown 2 "$ev" --fast
expect usage_n_zero 2 "$ev" -n 0
expect usage_n_text 2 "$ev" -n ten
expect usage_threads 2 "$ev" --threads 0
expect usage_missing_value 2 "$ev" -m
expect usage_guidance 2 "$ev" --guidance nan
expect usage_compare_5 2 "$ev" --compare a --compare b --compare c --compare d --compare e

# ---- evaluate.py's class_of_caption (cases checked against the Python) ------
classify_ok=1
while IFS='|' read -r want text; do
    got=$("$ev" --classify "$text")
    if [ "$got" != "$want" ]; then
        echo "  class_of_caption(\"$text\") = $got, want $want"; classify_ok=0
    fi
done <<'EOF'
0|a photo of a t-shirt
-1|a t-shirt and a shirt
6|a shirt
9|an ankle boot
8|a photo of a bag
-1|this is a sandals
4|a coat coat
-1|
-1|a pullover/dress
0|a T-SHIRT
0|t-shirts
-1|a-shirt
-1|xshirt
7|a sneaker!
1|trousers
-1|boot
EOF
check classify test "$classify_ok" -eq 1

# ---- the dataset readers -----------------------------------------------------
if [ ! -f "$data/t10k-images-idx3-ubyte.gz" ] || [ ! -f "$data/t10k-labels-idx1-ubyte.gz" ]; then
    echo "SKIP eval.dataset: tool missing: $data (Debian package dataset-fashion-mnist)"
    exit 0
fi
img=$data/t10k-images-idx3-ubyte.gz lab=$data/t10k-labels-idx1-ubyte.gz
mkbad() {  # mkbad NAME: a copy of the dataset in $tmp/NAME
    mkdir -p "$tmp/$1"; cp "$img" "$lab" "$tmp/$1/"
}
expect missing_dataset 3 "$ev" --data "$tmp/nowhere" -m "$tmp/none.gguf"
check missing_dataset_msg grep -q "nowhere" "$tmp/err"

mkbad trunc; head -c 100000 "$img" >"$tmp/trunc/t10k-images-idx3-ubyte.gz"
expect truncated_gzip 3 "$ev" --data "$tmp/trunc" -m "$tmp/none.gguf"
check truncated_gzip_msg grep -q "gzip" "$tmp/err"

# flip_byte FILE OFFSET: complements one byte in place
flip_byte() {
    local b; b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
mkbad flip; flip_byte "$tmp/flip/t10k-images-idx3-ubyte.gz" $(($(stat -c %s "$img") / 2))
expect corrupt_gzip 3 "$ev" --data "$tmp/flip" -m "$tmp/none.gguf"
check corrupt_gzip_msg grep -q "gzip" "$tmp/err"

mkbad magic; printf '\x1f\x8c' | dd of="$tmp/magic/t10k-images-idx3-ubyte.gz" bs=1 conv=notrunc status=none
expect bad_gzip_magic 3 "$ev" --data "$tmp/magic" -m "$tmp/none.gguf"

mkbad swapped; cp "$lab" "$tmp/swapped/t10k-images-idx3-ubyte.gz"
expect labels_as_images 3 "$ev" --data "$tmp/swapped" -m "$tmp/none.gguf"
check labels_as_images_msg grep -q "idx" "$tmp/err"

if command -v gzip >/dev/null; then
    # a valid gzip of a labels file with a label 10, and one with a count that disagrees
    mkbad label10
    gzip -dc "$lab" >"$tmp/labels.idx"
    printf '\x0a' | dd of="$tmp/labels.idx" bs=1 seek=8 conv=notrunc status=none
    gzip -c "$tmp/labels.idx" >"$tmp/label10/t10k-labels-idx1-ubyte.gz"
    expect label_out_of_range 3 "$ev" --data "$tmp/label10" -m "$tmp/none.gguf"
    check label_out_of_range_msg grep -q "label 10" "$tmp/err"
    mkbad count
    gzip -dc "$lab" | head -c 9000 | gzip -c >"$tmp/count/t10k-labels-idx1-ubyte.gz"
    expect label_count 3 "$ev" --data "$tmp/count" -m "$tmp/none.gguf"
else
    echo "SKIP eval.gzip_made: no gzip command"
fi

# ---- the VQA items -----------------------------------------------------------
sed '4s/^0\t9\t/0\t3\t/' tools/eval/vqa_items.tsv >"$tmp/items_label.tsv"
expect items_wrong_label 3 "$ev" --items "$tmp/items_label.tsv" -m "$tmp/none.gguf"
check items_wrong_label_msg grep -q "differs from the dataset" "$tmp/err"
sed '5d' tools/eval/vqa_items.tsv >"$tmp/items_gap.tsv"
expect items_gap 3 "$ev" --items "$tmp/items_gap.tsv" -m "$tmp/none.gguf"
head -n 50 tools/eval/vqa_items.tsv >"$tmp/items_short.tsv"
expect items_too_few 3 "$ev" --items "$tmp/items_short.tsv" -m "$tmp/none.gguf" -n 100
printf '0\t9\tis this a bag?\n' >"$tmp/items_fields.tsv"
expect items_fields 3 "$ev" --items "$tmp/items_fields.tsv" -m "$tmp/none.gguf" -n 1
expect missing_model 3 "$ev" -m "$tmp/none.gguf" -n 1

# ---- a run on the golden random model ------------------------------------------
if [ -x build/mdm-convert ] &&
   build/mdm-convert --checkpoint tests/golden/random -o "$tmp/golden.gguf" >"$tmp/convert.log" 2>&1; then
    expect golden_run 0 "$ev" -m "$tmp/golden.gguf" --compare "$tmp/golden.gguf" -n 6 \
        --agree-n 6 --t2i-n 2 --steps 4 --threads 2 --json --dump "$tmp/dump2.tsv"
    check golden_json grep -q '"caption_identical": 1.000000' "$tmp/out"
    check golden_t2i_identical grep -q '"t2i_identical": 2' "$tmp/out"
    check golden_dump_rows test "$(grep -vc '^#' "$tmp/dump2.tsv")" -eq 12
    expect golden_one_thread 0 "$ev" -m "$tmp/golden.gguf" -n 6 --threads 1 --dump "$tmp/dump1.tsv"
    check golden_threads_same cmp -s <(grep -v '^#' "$tmp/dump1.tsv") \
        <(grep -v '^#' "$tmp/dump2.tsv" | head -n 6)
    check golden_text_output grep -q "^  caption_accuracy " "$tmp/out"
    if [ -x build/asan/mdm-eval ]; then  # the same under ASan/UBSan
        expect golden_asan 0 build/asan/mdm-eval -m "$tmp/golden.gguf" --compare "$tmp/golden.gguf" \
            -n 2 --agree-n 2 --t2i-n 1 --steps 2 --threads 2 --json --dump "$tmp/dump_asan.tsv"
        expect corrupt_gzip_asan 3 build/asan/mdm-eval --data "$tmp/flip" -m "$tmp/none.gguf"
        expect items_asan 3 build/asan/mdm-eval --items "$tmp/items_fields.tsv" -m "$tmp/none.gguf" -n 1
    fi
else
    echo "SKIP eval.golden: build/mdm-convert missing or failed"
fi

# ---- the shipped model ---------------------------------------------------------
if [ ! -f "$shipped" ]; then
    echo "SKIP eval.shipped: $shipped not present"; exit 0
fi
expect shipped_200 0 "$ev" -m "$shipped" -n 200 --threads 2
cat "$tmp/out"
cap=$(value caption_accuracy "$tmp/out"); vqa=$(value vqa_accuracy "$tmp/out")
check "shipped_caption_accuracy_${cap:-none}_ge_0.84" at_least "$cap" 0.84
check "shipped_vqa_accuracy_${vqa:-none}_ge_0.90" at_least "$vqa" 0.90
f32=models/mdm-fmnist-f32.gguf
if [ -f "$f32" ]; then
    expect shipped_vs_f32 0 "$ev" -m "$f32" --compare "$shipped" -n 200 --agree-n 200 --t2i-n 0 \
        --no-vqa --threads 2 --json
    same=$(grep -o '"caption_same_class": [0-9.]*' "$tmp/out" | awk '{print $2}')
    check "shipped_q8_0_same_class_as_f32_${same:-none}_ge_0.99" at_least "$same" 0.99
fi
