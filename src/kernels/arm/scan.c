/* Selective scan on NEON: 4 channels per vector, their states for every n
 * in a small array, A transposed to [n][4] per channel group, and the
 * vector exp of arm.h.  Ragged channels (c1 - c0 not a multiple of 4) run
 * the reference loop: the scalar tail. */
#include "kernels/arm/arm.h"
#include <string.h>

#if defined(__ARM_NEON)
#define MAX_N 64

static void group4(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, int c) {
    float at[MAX_N * 4], hs[MAX_N * 4];
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 4; j++)
            at[n * 4 + j] = A[(size_t)(c + j) * N + n];
    memset(hs, 0, (size_t)N * 4 * sizeof(float));
    const float32x4_t dv = vld1q_f32(D + c);
    for (int t = 0; t < T; t++) {
        const size_t o = (size_t)t * di + c;
        const float32x4_t dt = vld1q_f32(delta + o), xv = vld1q_f32(x + o);
        const float32x4_t dtx = vmulq_f32(dt, xv);
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        float32x4_t acc = vdupq_n_f32(0.0f);
        for (int n = 0; n < N; n++) {
            float32x4_t e = mdm_exp4(vmulq_f32(dt, vld1q_f32(at + n * 4)));
            float32x4_t hn = mdm_fma4(vmulq_n_f32(dtx, Bt[n]), e, vld1q_f32(hs + n * 4));
            vst1q_f32(hs + n * 4, hn);
            acc = mdm_fma4(acc, hn, vdupq_n_f32(Ct[n]));
        }
        vst1q_f32(y + o, mdm_fma4(acc, xv, dv));
    }
}

void mdm_scan_neon(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                   int c0, int c1) {
    int c = c0;
    if (N <= MAX_N)
        for (; c + 4 <= c1; c += 4)
            group4(y, x, delta, A, B, C, ld_bc, D, T, di, N, c);
    if (c < c1)
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c, c1);
}
#endif
