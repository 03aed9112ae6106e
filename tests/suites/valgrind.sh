#!/usr/bin/env bash
# The runtime under valgrind's memcheck (the optimised build): the golden and demo model tests
# and a CLI generate + caption round trip. SKIP when valgrind is not installed.
cd "$(dirname "$0")/../.."
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP valgrind: tool missing: valgrind"
    exit 0
fi
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
check() {  # check NAME COMMAND...
    local name=$1; shift
    local out rc
    out=$($vg "$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -eq 0 ] && ! grep -q '^==[0-9]*==' <<<"$out"; then
        echo "PASS valgrind.$name"
    else
        echo "FAIL valgrind.$name: exit status $rc"; echo "$out" | head -30
    fi
}
check test_runtime build/tests/test_runtime
check test_spm build/tests/test_spm
model=models/mdm-fmnist-q8_0.gguf
if [ -f "$model" ]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    check cli_generate build/mdm generate -m "$model" -p "a photo of a bag" -o "$tmp/bag.png" --seed 3
    check cli_caption build/mdm caption -m "$model" -i "$tmp/bag.png"
else
    echo "SKIP valgrind.cli: no $model"
fi
