#!/usr/bin/env bash
# ARM builds: the library and the kernel tests cross-compiled (static) for
# AArch64 (baseline NEON, and with the dot-product extension) and for 32-bit
# armhf NEON, then run under qemu-user.  Under QEMU only correctness counts.
# SKIPs a target whose cross compiler or QEMU is not installed
# (Debian: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user).
set -u
cd "$(dirname "$0")/../.."
TESTS="test_kernels test_simd test_quant test_runtime"

run_target() {  # run_target LABEL CC QEMU CFLAGS
    local label=$1 cc=$2 qemu=$3 flags=$4 dir=build/cross-$1
    if ! command -v "$cc" >/dev/null || ! command -v "$qemu" >/dev/null; then
        echo "SKIP arm-$label: tool missing: $cc or $qemu"
        return
    fi
    local targets=""
    for t in $TESTS; do targets="$targets $dir/tests/$t"; done
    if ! make -s -j2 BUILD="$dir" CC="$cc" OPT="-O2 $flags" LDFLAGS="-static" $targets \
            >"$dir.log" 2>&1; then
        echo "FAIL arm-$label: build failed"; tail -20 "$dir.log"
        return
    fi
    echo "PASS arm-$label: built with $cc $flags"
    # the thread pool of a port without threads (bare metal) compiles too
    if "$cc" -std=c11 -Wall -Wextra -Werror -I. -Iports $flags -c ports/none/threads.c \
            -o "$dir/none_threads.o"; then
        echo "PASS arm-$label ports/none/threads.c compiles"
    else
        echo "FAIL arm-$label ports/none/threads.c"
    fi
    for t in $TESTS; do
        # test_runtime opens models from malloc'ed buffers: armhf glibc malloc
        # aligns to 8 bytes and the loader wants 16 (MDM_ERR_MISALIGNED)
        if [ "$label" = armhf ] && [ "$t" = test_runtime ]; then
            echo "SKIP arm-$label $t: malloc'ed model buffers are 8-byte aligned on armhf"
            continue
        fi
        # prefix each result line with the target, keep the details
        timeout 900 "$qemu" "$dir/tests/$t" 2>&1 | sed -e "s/^\(PASS\|FAIL\|SKIP\) /\1 arm-$label $t: /"
        local rc=${PIPESTATUS[0]}
        [ "$rc" -eq 0 ] || echo "FAIL arm-$label $t: exit status $rc"
    done
}

mkdir -p build
run_target aarch64 aarch64-linux-gnu-gcc qemu-aarch64 "-march=armv8-a"
run_target aarch64-dotprod aarch64-linux-gnu-gcc qemu-aarch64 "-march=armv8.2-a+dotprod"
run_target armhf arm-linux-gnueabihf-gcc qemu-arm "-mfpu=neon-vfpv4 -mfloat-abi=hard"
