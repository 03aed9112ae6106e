/* The F32 GEMM core on NEON: a 4 x 8 register tile (8 accumulators, fits
 * ARMv7's 16 q registers), B from a packed panel [K][8].  One FMA chain per
 * element, then its bias: a row computes the same in any tile. */
#include "kernels/arm/arm.h"

#if defined(__ARM_NEON)
static inline __attribute__((always_inline)) void tile(int mr, float *c, size_t ldc,
                                                       const float *a, size_t lda,
                                                       const float *bp, int K, int nc,
                                                       const float *col_bias,
                                                       const float *row_bias) {
    float32x4_t acc0[4], acc1[4];
    for (int i = 0; i < mr; i++)
        acc0[i] = acc1[i] = vdupq_n_f32(0.0f);
    for (int k = 0; k < K; k++) {
        const float32x4_t b0 = vld1q_f32(bp + (size_t)k * 8);
        const float32x4_t b1 = vld1q_f32(bp + (size_t)k * 8 + 4);
        for (int i = 0; i < mr; i++) {
            const float32x4_t av = vdupq_n_f32(a[(size_t)i * lda + k]);
            acc0[i] = mdm_fma4(acc0[i], av, b0);
            acc1[i] = mdm_fma4(acc1[i], av, b1);
        }
    }
    for (int i = 0; i < mr; i++) {
        float out[8];
        vst1q_f32(out, acc0[i]);
        vst1q_f32(out + 4, acc1[i]);
        for (int j = 0; j < nc; j++) /* scalar tail: the ragged columns */
            c[(size_t)i * ldc + j] =
                out[j] + (col_bias ? col_bias[j] : row_bias ? row_bias[i] : 0.0f);
    }
}

void mdm_gemm_panel_neon(float *c, size_t ldc, const float *a, size_t lda, const float *bp, int K,
                         int M, int nc, const float *col_bias, const float *row_bias) {
    int i = 0;
    for (; i + 4 <= M; i += 4)
        tile(4, c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, bp, K, nc, col_bias,
             row_bias ? row_bias + i : NULL);
    for (; i < M; i++) /* ragged rows */
        tile(1, c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, bp, K, nc, col_bias,
             row_bias ? row_bias + i : NULL);
}
#endif
