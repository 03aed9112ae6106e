/* Tiled matmul y[t][o] = sum_i x[t][i] W[o][i] + b[o]: a 16x16 work-group
 * computes 16 tokens x 16 outputs; each step stages a 16x32 tile of x and
 * of W (one quantization block per row, decoded on the way into local
 * memory) and every work-item sums its dot product in i order, as the
 * reference does. */
#include "opencl/cl_source.h"

const char mdm_cl_matmul[] = CL_SOURCE(

kernel void mdm_matmul(global float *y, int yo, global const float *x, int xo,
                       global const uchar *wb, ulong w_off, ulong row_bytes, int type,
                       global const uchar *bb, ulong b_off, int has_bias, int K, int O, int T) {
    local float xs[16][33], ws[16][33];
    const int lo = get_local_id(0), lt = get_local_id(1);
    const int o0 = get_group_id(0) * 16, t0 = get_group_id(1) * 16;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 32) {
        for (int e = lt * 16 + lo; e < 16 * 32; e += 256) {
            const int r = e / 32, kk = e % 32, k = k0 + kk;
            xs[r][kk] = (t0 + r < T && k < K) ? x[xo + (t0 + r) * K + k] : 0.0f;
            ws[r][kk] = (o0 + r < O && k < K)
                            ? wval(wb + w_off + (ulong)(o0 + r) * row_bytes, type, k) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int kn = min(32, K - k0);
        for (int kk = 0; kk < kn; kk++)
            acc += xs[lt][kk] * ws[lo][kk];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int o = o0 + lo, t = t0 + lt;
    if (o < O && t < T)
        y[yo + t * O + o] = acc + (has_bias ? ((global const float *)(bb + b_off))[o] : 0.0f);
}

);
