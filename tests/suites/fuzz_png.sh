#!/usr/bin/env bash
# Builds tests/fuzz/fuzz_png.c with clang's libFuzzer (+ASan/UBSan) and runs
# it for FUZZ_SECONDS (default 20) from the seed corpus tests/fuzz/corpus/png.
# Prints "PASS fuzz_png (N execs)", "FAIL fuzz_png: ..." or "SKIP fuzz_png: why".
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
out=build/fuzz
mkdir -p "$out"
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP fuzz_png: tool missing: clang"; exit 0
fi
probe=$(mktemp -d); trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
    echo "SKIP fuzz_png: tool missing: libFuzzer (clang cannot link -fsanitize=fuzzer)"; exit 0
fi
srcs="tests/fuzz/fuzz_png.c $(ls src/image/*.c) src/pixels.c src/model/crc32.c src/status.c"
if ! clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -I. -Isrc -Itests/fuzz \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        $srcs -lm -o "$out/fuzz_png" 2>"$out/fuzz_png.build.log"; then
    echo "FAIL fuzz_png: build failed"; cat "$out/fuzz_png.build.log"; exit 1
fi
work="$probe/corpus"; mkdir -p "$work"   # new inputs go here, seeds stay as committed
log="$out/fuzz_png.log"
"$out/fuzz_png" "$work" tests/fuzz/corpus/png -dict=tests/fuzz/png.dict \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=8192 -timeout=10 \
    -artifact_prefix="$out/" >"$log" 2>&1
rc=$?
execs=$(grep -ao 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -1)
if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    echo "FAIL fuzz_png: libFuzzer exited with $rc${execs:+ after $execs execs} (log $log, inputs in $out/)"
    tail -40 "$log"; exit 1
fi
echo "PASS fuzz_png ($execs execs)"
