#!/usr/bin/env bash
# ARM Linux builds: the library, tools and every test cross-compiled for
# AArch64 and 32-bit armhf NEON, each into its own folder (make CROSS=...:
# build/aarch64-linux-gnu/, build/arm-linux-gnueabihf/), then every test
# binary run under qemu-user with the cross sysroot (dynamic linking, so
# test_alloc's malloc counting works; tools that tests start run through
# MDM_TEST_EXEC).  The dot-product build (build/aarch64-linux-gnu-dotprod/)
# only changes kernels, so it runs the kernel tests.  Under QEMU only
# correctness counts.  SKIPs a target whose cross compiler or QEMU is not
# installed (Debian: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
# libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user); FAIL under CI=true.
set -u
cd "$(dirname "$0")/../.."
KERNEL_TESTS="test_kernels test_simd test_quant"

run_target() {  # run_target LABEL TRIPLE QEMU FLAGS [TESTS]
    local label=$1 triple=$2 qemu=$3 flags=$4 only=${5:-} dir=build/$2
    [ "$label" = aarch64-dotprod ] && dir=build/$triple-dotprod
    if ! command -v "$triple-gcc" >/dev/null || ! command -v "$qemu" >/dev/null; then
        echo "SKIP arm-$label: tool missing: $triple-gcc or $qemu"
        return
    fi
    mkdir -p "$dir"
    # the tests and the tool test_convert_cli runs; the other tools are not needed here
    local targets="$dir/mdm-convert"
    # test_opencl is the OpenCL cross-device check (tests/suites/opencl.sh); these builds have no OpenCL
    # test_avx2_* check the x86 AVX2 sets (test_avx2_int8 against each other): none exist on ARM
    # test_quantize_x checks the x86 int8 activation layouts, test_simd_ranges the x86 sets'
    # activations and scan over extreme inputs: none exist on ARM either
    for t in ${only:-$(cd tests && ls test_*.c | grep -v -e '^test_opencl' -e '^test_avx2_' -e '^test_quantize_x' -e '^test_simd_ranges' | sed 's/\.c$//')}; do
        targets="$targets $dir/tests/$t"
    done
    if ! make -s -j2 CROSS="$triple-" BUILD="$dir" OPT="-O2 $flags" $targets >"$dir.log" 2>&1; then
        echo "FAIL arm-$label: build failed"; tail -20 "$dir.log"
        return
    fi
    echo "PASS arm-$label: built with $triple-gcc $flags into $dir/"
    # the thread pool of a port without threads (bare metal) compiles too
    if "$triple-gcc" -std=c11 -Wall -Wextra -Werror -I. -Iports $flags -c ports/none/threads.c \
            -o "$dir/none_threads.o"; then
        echo "PASS arm-$label ports/none/threads.c compiles"
    else
        echo "FAIL arm-$label ports/none/threads.c"
    fi
    local tests=""
    if [ -n "$only" ]; then
        for t in $only; do tests="$tests $dir/tests/$t"; done
    else
        tests=$(ls "$dir"/tests/test_* | grep -v -e '\.qemu\.' -e '/test_opencl$' -e '/test_avx2_' -e '/test_quantize_x' -e '/test_simd_ranges')
    fi
    # two at a time; each test's lines prefixed with the target, its log kept
    export QEMU_LD_PREFIX=/usr/$triple MDM_TEST_EXEC=$qemu
    printf '%s\n' $tests | xargs -P 2 -I{} sh -c \
        'timeout 900 '"$qemu"' {} >{}.qemu.log 2>&1; echo $? >{}.qemu.rc'
    for t in $tests; do
        local name=${t##*/}
        sed -e "s/^\(PASS\|FAIL\|SKIP\) /\1 arm-$label $name: /" "$t.qemu.log"
        local rc
        rc=$(cat "$t.qemu.rc" 2>/dev/null || echo 1)
        [ "$rc" -eq 0 ] || echo "FAIL arm-$label $name: exit status $rc"
        if grep -q '^SKIP ' "$t.qemu.log"; then
            echo "FAIL arm-$label $name: skipped a case under QEMU"
        fi
    done
    unset QEMU_LD_PREFIX MDM_TEST_EXEC
}

mkdir -p build
run_target aarch64 aarch64-linux-gnu qemu-aarch64 "-march=armv8-a"
run_target aarch64-dotprod aarch64-linux-gnu qemu-aarch64 "-march=armv8.2-a+dotprod" \
    "$KERNEL_TESTS"
run_target armhf arm-linux-gnueabihf qemu-arm "-mfpu=neon-vfpv4 -mfloat-abi=hard"
