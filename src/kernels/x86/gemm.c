/* The F32 GEMM core (x86.h): a 12 x 32 register tile, 24 accumulators,
 * one packed B panel streamed from L2 and 12 rows of A broadcast from L1.
 * Every element is summed over k in order by one FMA chain and then gets
 * its bias, so a row computes the same in the 12-row kernel and in a tail.
 * The softplus variant applies mdm_softplus512 to each result before its
 * store: the bits of the plain panel followed by mdm_softplus_avx512. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
#define MR 12

MDM_AVX512_INLINE void tile(int mr, float *c, size_t ldc, const float *a, size_t lda,
                            const float *bp, int K, __mmask16 m0, __mmask16 m1,
                            const float *col_bias, const float *row_bias, int softplus) {
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        acc0[i] = acc1[i] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const __m512 b0 = _mm512_load_ps(bp + (size_t)k * 32);
        const __m512 b1 = _mm512_load_ps(bp + (size_t)k * 32 + 16);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            const __m512 av = _mm512_set1_ps(a[(size_t)i * lda + k]);
            acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
        }
    }
    __m512 cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
    if (col_bias) {
        cb0 = _mm512_maskz_loadu_ps(m0, col_bias);
        cb1 = _mm512_maskz_loadu_ps(m1, col_bias + 16);
    }
    __m512 v[2 * MR]; /* row i's two vectors at 2 i, 2 i + 1 */
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        v[2 * i] = acc0[i];
        v[2 * i + 1] = acc1[i];
        if (col_bias) {
            v[2 * i] = _mm512_add_ps(v[2 * i], cb0);
            v[2 * i + 1] = _mm512_add_ps(v[2 * i + 1], cb1);
        } else if (row_bias) {
            const __m512 rb = _mm512_set1_ps(row_bias[i]);
            v[2 * i] = _mm512_add_ps(v[2 * i], rb);
            v[2 * i + 1] = _mm512_add_ps(v[2 * i + 1], rb);
        }
    }
    if (softplus) { /* eight results in lockstep (lockstep.h), then pairs */
        int g = 0;
        for (; g + 8 <= 2 * mr; g += 8)
            mdm_softplus512_k(v + g, 8);
        for (; g < 2 * mr; g += 2)
            mdm_softplus512_k(v + g, 2);
    }
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(c + (size_t)i * ldc, m0, v[2 * i]);
        _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16, m1, v[2 * i + 1]);
    }
}

MDM_AVX512_INLINE void panel(float *c, size_t ldc, const float *a, size_t lda, const float *bp,
                             int K, int M, int nc, const float *col_bias, const float *row_bias,
                             int softplus) {
    const __mmask16 m0 = (__mmask16)(nc >= 16 ? 0xffff : (1u << nc) - 1);
    const __mmask16 m1 = (__mmask16)(nc >= 32 ? 0xffff : nc > 16 ? (1u << (nc - 16)) - 1 : 0);
    int i = 0;
    for (; i + MR <= M; i += MR)
        tile(MR, c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, bp, K, m0, m1, col_bias,
             row_bias ? row_bias + i : NULL, softplus);
    const int r = M - i;
    float *ci = c + (size_t)i * ldc;
    const float *ai = a + (size_t)i * lda, *rb = row_bias ? row_bias + i : NULL;
    switch (r) {
    case 11: tile(11, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 10: tile(10, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 9: tile(9, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 8: tile(8, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 7: tile(7, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 6: tile(6, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 5: tile(5, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 4: tile(4, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 3: tile(3, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 2: tile(2, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    case 1: tile(1, ci, ldc, ai, lda, bp, K, m0, m1, col_bias, rb, softplus); break;
    default: break;
    }
}

MDM_AVX512 void mdm_gemm_panel_avx512(float *c, size_t ldc, const float *a, size_t lda,
                                      const float *bp, int K, int M, int nc,
                                      const float *col_bias, const float *row_bias) {
    panel(c, ldc, a, lda, bp, K, M, nc, col_bias, row_bias, 0);
}

MDM_AVX512 void mdm_gemm_panel_softplus_avx512(float *c, size_t ldc, const float *a, size_t lda,
                                               const float *bp, int K, int M, int nc,
                                               const float *col_bias) {
    panel(c, ldc, a, lda, bp, K, M, nc, col_bias, NULL, 1);
}
#endif
