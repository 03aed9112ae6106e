#!/usr/bin/env bash
# Kernel benchmark and, where a python3 with numpy is found, numpy's F32
# matrix product (OpenBLAS) on the same shapes, in one command:
#   tools/bench/kernels.sh [mdm-bench-kernels options]
set -u
cd "$(dirname "$0")/../.."
make -s build/mdm-bench-kernels || exit 1
build/mdm-bench-kernels "$@" || exit 1
py=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then echo "numpy: not installed (no comparison)"; exit 0; fi
"$py" - <<'PY'
import time, numpy as np
print("numpy %s F32 matmul x @ W.T (its BLAS, all its threads):" % np.__version__)
for name, T, K, O in [("in_proj", 323, 512, 2048), ("out_proj", 323, 1024, 512),
                      ("x_proj", 323, 1024, 64), ("dt_proj", 323, 32, 1024)]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, K), dtype=np.float32)
    w = rng.standard_normal((O, K), dtype=np.float32)
    x @ w.T
    best, start, n = 1e9, time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < 0.3:
        t0 = time.perf_counter(); x @ w.T; best = min(best, time.perf_counter() - t0); n += 1
    print("  %-9s %dx%d -> %-5d %8.3f ms %8.1f GFLOP/s" % (name, T, K, O, best * 1e3,
                                                        2.0 * T * K * O / best / 1e9))
PY
