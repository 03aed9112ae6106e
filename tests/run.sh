#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed, N skipped".
# Each suite prints "PASS name", "FAIL name: ..." or "SKIP name: why" lines.
# Suites needing extra tools (torch, clang's libFuzzer, node) say SKIP when absent,
# as "SKIP name: tool missing: what" so that a missing tool can be told from a
# legitimate skip (test_simd on a CPU without a SIMD set).  Under CI=true, CI
# installs every tool (.ci/run), so such a skip is a broken install: it fails.
# A suite that reports no result at all fails too.
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
    if [ $((p + f + s)) -eq 0 ]; then
        echo "FAIL $label: reported no result"; f=1
    fi
    local missing; missing=$(grep -c '^SKIP [^:]*: tool missing' "$log")
    if [ "${CI:-}" = true ] && [ "$missing" -gt 0 ]; then
        echo "FAIL $label: $missing case(s) skipped for a missing tool under CI=true"
        f=$((f + missing)); s=$((s - missing))
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

# Arguments (make test ONLY="..."): run only the test binaries and suites
# whose path contains one of them, e.g. tests/run.sh test_simd cli.sh
wanted() {
    [ "$#" -gt 1 ] || return 0
    local path=$1 w; shift
    for w in "$@"; do case "$path" in *"$w"*) return 0 ;; esac; done
    return 1
}

for variant in build build/asan; do
    for t in "$variant"/tests/test_*; do
        [ -x "$t" ] || continue
        wanted "$t" "$@" || continue
        run_suite "$t" "$t"
    done
done

for s in tests/suites/*.sh; do
    [ -f "$s" ] || continue
    wanted "$s" "$@" || continue
    run_suite "$s" bash "$s"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
