#!/usr/bin/env bash
# The OpenCL backend: builds build/opencl (make OPENCL=1) and runs the cross-device check
# (tests/test_opencl.c) and the CLI on the first OpenCL device; in CI that is PoCL, the
# CPU as an OpenCL device.  SKIP without the OpenCL headers, the ICD loader or a device;
# under CI=true (where .ci/run installs them) that is a FAIL.
cd "$(dirname "$0")/../.."
missing() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL opencl: $1 (.ci/run installs opencl-headers ocl-icd-opencl-dev pocl-opencl-icd)"
    else
        echo "SKIP opencl: $1"
    fi
    exit 0
}
cc=${CC:-cc}
printf '#define CL_TARGET_OPENCL_VERSION 120\n#include <CL/cl.h>\n' | $cc -E -x c - >/dev/null 2>&1 ||
    missing "no OpenCL headers (opencl-headers)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'int clGetPlatformIDs(); int main(void) { return clGetPlatformIDs != 0 ? 0 : 1; }\n' >"$tmp/l.c"
$cc "$tmp/l.c" -lOpenCL -o "$tmp/l" >/dev/null 2>&1 || missing "no OpenCL ICD loader (ocl-icd-opencl-dev)"
if ! make -s -j2 OPENCL=1 BUILD=build/opencl build/opencl/tests/test_opencl \
        build/opencl/tests/test_opencl_objects build/opencl/mdm build/opencl/mdm-eval \
        >"$tmp/build.log" 2>&1; then
    echo "FAIL opencl.build: make OPENCL=1 failed"; tail -30 "$tmp/build.log"; exit 1
fi
# The check prints its own PASS/FAIL/SKIP lines (and FAILs under CI=true without a device).
build/opencl/tests/test_opencl || exit 1
# Objects released at mdm_ctx_free, none created and nothing allocated while running.
build/opencl/tests/test_opencl_objects || exit 1
grep -q '^opencl:0 ' <(build/opencl/mdm devices 2>/dev/null) || { echo "SKIP opencl.cli: no device"; exit 0; }
echo "PASS opencl.devices"
model=models/mdm-fmnist-q8_0.gguf
if [ -f "$model" ]; then
    if build/opencl/mdm generate -m "$model" -p "a photo of a bag" -o "$tmp/bag.png" --steps 4 \
            --device opencl >/dev/null 2>"$tmp/err" &&
       build/opencl/mdm caption -m "$model" -i "$tmp/bag.png" --device opencl >/dev/null 2>>"$tmp/err"; then
        echo "PASS opencl.cli_generate_caption"
    else
        echo "FAIL opencl.cli_generate_caption"; cat "$tmp/err"
    fi
    build/opencl/mdm generate -m "$model" -p x -o "$tmp/x.png" --device opencl:99 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 3 ] && grep -q 'no OpenCL device 99' "$tmp/err"; then
        echo "PASS opencl.cli_no_such_device"
    else
        echo "FAIL opencl.cli_no_such_device: exit $rc"; cat "$tmp/err"
    fi
else
    echo "SKIP opencl.cli: no $model"
fi
# mdm-eval --compare-device: the model on the device against the same model on the CPU, one
# command (a smoke test on 8 images; README gives the 500-image figures).
data=/usr/share/datasets/fashion-mnist
if [ -f "$model" ] && [ -f "$data/t10k-images-idx3-ubyte.gz" ]; then
    if build/opencl/mdm-eval -m "$model" --compare-device opencl -n 8 --agree-n 8 --t2i-n 1 \
            --steps 4 --no-vqa --threads 1 --json >"$tmp/ev.json" 2>"$tmp/err" &&
       grep -q '"against_device": "cpu"' "$tmp/ev.json"; then
        same=$(grep -o '"caption_same_class": [0-9.]*' "$tmp/ev.json" | awk '{print $2}')
        if awk -v s="$same" 'BEGIN { exit !(s != "" && s + 0 >= 0.75) }'; then
            echo "PASS opencl.eval_compare_device (same class $same)"
        else
            echo "FAIL opencl.eval_compare_device: same class ${same:-none} < 0.75"
        fi
    else
        echo "FAIL opencl.eval_compare_device"; cat "$tmp/err"
    fi
else
    echo "SKIP opencl.eval_compare_device: no $model or no Fashion-MNIST in $data"
fi
