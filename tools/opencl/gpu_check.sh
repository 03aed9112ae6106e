#!/usr/bin/env bash
# For a person with a real GPU (or any OpenCL device): builds the OpenCL backend, lists the
# devices, runs the cross-device check (every device kernel against the scalar reference,
# whole steps and images against the CPU) and benchmarks the S preset's Q8_0 denoiser step on
# the device (float matmuls and int8 matmuls) against the CPU with 2 threads, then prints the
# ratios.  Everything it writes goes to $OUT (default build/gpu_check).  Takes a few minutes
# on a GPU (RUNS=N runs per measurement, default 5).
#
#   tools/opencl/gpu_check.sh [opencl:N]     (default: opencl, the first GPU)
#
# Needs: a C compiler, make, the OpenCL headers and ICD loader (Debian: opencl-headers,
# ocl-icd-opencl-dev) and the GPU vendor's OpenCL driver; python3 for the summary (optional).
set -u
cd "$(dirname "$0")/../.."
dev=${1:-opencl}
out=${OUT:-build/gpu_check}
runs=${RUNS:-5} # runs per measurement (median); RUNS=1 for a slow device
mkdir -p "$out"
jobs=$(nproc 2>/dev/null || echo 2)
step() { echo; echo "== $*"; }

step "build (make OPENCL=1)"
make -s -j"$jobs" OPENCL=1 build/opencl/mdm build/opencl/mdm-convert build/opencl/tests/test_opencl \
    build/opencl/tests/test_opencl_objects >"$out/build.log" 2>&1 ||
    { tail -30 "$out/build.log"; echo "FAIL: the build (log: $out/build.log)"; exit 1; }

step "devices"
build/opencl/mdm devices | tee "$out/devices.txt"

step "cross-device check on $dev (build/opencl/tests/test_opencl $dev)"
build/opencl/tests/test_opencl "$dev" 2>&1 | tee "$out/check.txt"
check_rc=${PIPESTATUS[0]}
build/opencl/tests/test_opencl_objects "$dev" 2>&1 | tee "$out/objects.txt"
objects_rc=${PIPESTATUS[0]}

step "the S preset, Q8_0 (random weights: speed only)"
model=$out/s-q8_0.gguf
[ -f "$model" ] || build/opencl/mdm-convert --random S --type q8_0 -o "$model" >/dev/null ||
    { echo "FAIL: mdm-convert --random S"; exit 1; }
bench() {  # bench NAME ARGS...
    local name=$1; shift
    echo "-- mdm bench $* --json"
    build/opencl/mdm bench -m "$model" --step-only --runs "$runs" --json "$@" >"$out/$name.json" \
        2>"$out/$name.err" || { echo "   failed:"; cat "$out/$name.err"; }
}
bench cpu2 --threads 2
bench dev "--device" "$dev/f32"
bench dev_int8 "--device" "$dev/int8"

step "summary"
if command -v python3 >/dev/null; then
    python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name + ".json")))
    except (OSError, ValueError):
        return None
names = ("cpu2", "dev", "dev_int8")
runs = [load(n) for n in names]
print("%-22s %14s %14s %14s" % ("median ms", "CPU 2 threads", "device f32", "device int8"))
for key in ("denoiser_step_ms", "denoiser_step_cfg_ms", "vae_decode_ms", "vae_encode_ms"):
    v = [r.get(key) if r else None for r in runs]
    print("%-22s %14s %14s %14s" % (key, *["%.2f" % x if x else "-" for x in v]))
    for n, x in zip(("device f32", "device int8"), v[1:]):
        if v[0] and x:
            print("%-22s   %s: %.2fx the 2-thread CPU" % ("", n, v[0] / x))
print("(target: the Q8_0 denoiser step on a GPU >= 10x the 2-thread CPU step)")
for n, r in zip(names, runs):
    print("%-9s device: %s" % (n, r.get("device") if r else "(no result)"))
PY
fi
echo
echo "cross-device check: $([ "$check_rc" -eq 0 ] && echo PASS || echo FAIL) (exit $check_rc)," \
     "objects: $([ "$objects_rc" -eq 0 ] && echo PASS || echo FAIL); files in $out/"
[ "$check_rc" -eq 0 ] && [ "$objects_rc" -eq 0 ]
