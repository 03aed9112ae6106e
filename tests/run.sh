#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed, N skipped".
# Each suite prints "PASS name", "FAIL name: ..." or "SKIP name: why" lines.
# Suites needing extra tools (torch, clang's libFuzzer, node) say SKIP when absent.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

run_suite() {  # run_suite LABEL COMMAND...
    local label=$1; shift
    echo "== $label"
    "$@" >"$log" 2>&1; local rc=$?
    cat "$log"
    local p f s
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $label: exited with status $rc"; f=1
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for variant in build build/asan; do
    for t in "$variant"/tests/test_*; do
        [ -x "$t" ] || continue
        run_suite "$t" "$t"
    done
done

for s in tests/suites/*.sh; do
    [ -f "$s" ] || continue
    run_suite "$s" bash "$s"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
