#!/usr/bin/env bash
# Runs the libFuzzer targets of the model loader, the JSON reader and the
# safetensors reader (make fuzz) for FUZZ_SECONDS each (default 20), from the
# committed seeds in tests/fuzz/corpus/<name>/ plus, for the loader, models
# written by build/mdm-convert.  Prints "PASS fuzz_x (N execs)",
# "FAIL fuzz_x: ..." or "SKIP fuzz_x: why" per target.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
targets="fuzz_gguf fuzz_json fuzz_safetensors"
skip_all() { for t in $targets; do echo "SKIP $t: $1"; done; exit 0; }
command -v clang >/dev/null 2>&1 || skip_all "tool missing: clang"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/p.c"
clang -fsanitize=fuzzer "$tmp/p.c" -o "$tmp/p" >/dev/null 2>&1 ||
    skip_all "tool missing: libFuzzer (clang cannot link -fsanitize=fuzzer)"
out=build/fuzz
mkdir -p "$out"
if ! make --no-print-directory fuzz >"$out/build.log" 2>&1; then
    for t in $targets; do echo "FAIL $t: make fuzz failed"; done
    tail -30 "$out/build.log"; exit 1
fi
for t in $targets; do
    name=${t#fuzz_}
    work="$tmp/$name"; mkdir -p "$work"   # new inputs go here; the seeds stay as committed
    if [ "$t" = fuzz_gguf ] && [ -x build/mdm-convert ]; then
        for ty in f32 q8_0; do build/mdm-convert --random micro --type $ty -o "$work/micro-$ty.gguf" >/dev/null 2>&1; done
    fi
    log="$out/$t.log"
    "$out/$t" "$work" "tests/fuzz/corpus/$name" -max_total_time="$secs" -max_len=131072 \
        -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$out/$t-" >"$log" 2>&1
    rc=$?
    execs=$(grep -ao 'Done [0-9]* runs' "$log" | grep -ao '[0-9]*' | tail -1)
    if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
        echo "FAIL $t: libFuzzer exited with $rc (log $log, crash input in $out/)"
        tail -40 "$log"
    else
        echo "PASS $t ($execs execs)"
    fi
done
