/* Tiled matmul y[t][o] = sum_i x[t][i] W[o][i] + b[o].  A 16x16 work-group
 * computes 64 tokens x 64 outputs, each work-item a 4x4 block of them in
 * registers (tokens lt + 16i, outputs lo + 16j), so each value read from
 * local memory feeds four multiply-adds.  Per step the group stages 32
 * inputs of its 64 tokens and of its 64 weight rows (one quantization block
 * per row, decoded on the way into local memory).  Every output sums in i
 * order, as the reference does; `act` then applies to the result. */
#include "opencl/cl_source.h"

const char mdm_cl_matmul[] = CL_SOURCE(

kernel void mdm_matmul(global float *y, int yo, global const float *x, int xo,
                       global const uchar *wb, ulong w_off, ulong row_bytes, int type,
                       global const uchar *bb, ulong b_off, int has_bias, int K, int O, int T,
                       int act) {
    local float xs[64][33], ws[64][33];
    const int lo = get_local_id(0), lt = get_local_id(1), lid = lt * 16 + lo;
    const int o0 = get_group_id(0) * 64, t0 = get_group_id(1) * 64;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 32) {
        for (int e = lid; e < 64 * 32; e += 256) {
            const int r = e / 32, kk = e % 32, k = k0 + kk;
            xs[r][kk] = (t0 + r < T && k < K) ? x[xo + (t0 + r) * K + k] : 0.0f;
            ws[r][kk] = (o0 + r < O && k < K)
                            ? wval(wb + w_off + (ulong)(o0 + r) * row_bytes, type, k) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int kn = min(32, K - k0);
        for (int kk = 0; kk < kn; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++)
                a[i] = xs[lt + 16 * i][kk], b[i] = ws[lo + 16 * i][kk];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    acc[i][j] += a[i] * b[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            const int t = t0 + lt + 16 * i, o = o0 + lo + 16 * j;
            if (o < O && t < T)
                y[yo + t * O + o] = activate(
                    acc[i][j] + (has_bias ? ((global const float *)(bb + b_off))[o] : 0.0f), act);
        }
}

);
