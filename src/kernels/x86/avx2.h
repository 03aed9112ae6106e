/* The AVX2 + FMA + F16C kernel set, for x86 CPUs without AVX-512: the F32
 * GEMM core (6 x 16 tile) behind every matmul (quantized weights decoded
 * to F32 panels) and the 3x3 convolution, the scan over 8 channels, SiLU.
 * Per-function targets, like x86.h. */
#ifndef MDM_KERNELS_X86_AVX2_H
#define MDM_KERNELS_X86_AVX2_H
#include "kernels/dispatch.h"
#include "kernels/x86/lockstep.h"
#include "kernels/x86/log1p_poly.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define MDM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define MDM_AVX2_INLINE static inline __attribute__((always_inline)) MDM_AVX2
#define MDM_AVX2_VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

/* Matmuls of the avx2 (_madd: vpmaddubsw) and avx2-vnni (_vnni) sets:
 * Q8_0/Q4_0 weights on the int8 path (avx2_int8.c, one definition per set
 * from avx2_int8_tile.h), the others on the F32 GEMM core
 * (mdm_matmul_avx2); matmul2 and matmul_softplus as dispatch.h. */
void mdm_matmul_avx2_madd(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                          void *ws);
void mdm_matmul_avx2_vnni(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                          void *ws);
void mdm_matmul2_avx2_madd(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                           const float *x, int T, void *ws);
void mdm_matmul2_avx2_vnni(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                           const float *x, int T, void *ws);
void mdm_matmul_softplus_avx2_madd(float *y, const float *x, const mdm_tensor *w,
                                   const float *bias, int T, void *ws);
void mdm_matmul_softplus_avx2_vnni(float *y, const float *x, const mdm_tensor *w,
                                   const float *bias, int T, void *ws);
/* Weight rows [o0, o0 + mo) of a Q8_0/Q4_0 tensor as 32 bytes and one f32
 * scale per (row, block): unsigned (Q8_0 + 128; Q4_0's raw nibbles) when
 * u8, else Q8_0's own bytes.  bstride 0: [row][block] (the AVX2 tiles);
 * else block-major, (row r, block b) at b * bstride + r, so a tile reaches
 * all its rows of a block from one pointer (the AVX-512 set). */
void mdm_pack_rows_int8_avx2(unsigned char *wq, float *sw, const mdm_tensor *w, int o0, int mo,
                             int nb, int u8, int bstride);
void mdm_softplus_avx2(float *x, size_t n);
void mdm_rmsnorm_avx2(float *y, const float *x, const float *w, int T, int d, float eps);
void mdm_conv1d_avx2(float *y, const float *x, const float *w, const float *b, int T, int di,
                     int K, int t0, int t1);

void mdm_gemm_panel_avx2(float *c, size_t ldc, const float *a, size_t lda, const float *bp, int K,
                         int M, int nc, const float *col_bias, const float *row_bias);
void mdm_matmul_avx2(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                     void *ws);
void mdm_conv2d_avx2(float *y, const float *x, const mdm_tensor *w, const float *b, int ci, int co,
                     int h, int w_, int stride, void *ws,
                       int oy0, int oy1);
void mdm_scan_avx2(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                   int c0, int c1);
void mdm_silu_avx2(float *x, size_t n);
void mdm_silu_mul_avx2(float *y, const float *z, size_t n);
void mdm_conv1d_silu_avx2(float *y, const float *x, const float *w, const float *b, int T, int di,
                          int K, int t0, int t1);
/* softplus(x W^T + bias) on the F32 GEMM core (F32/F16 weights). */
void mdm_matmul_softplus_avx2(float *y, const float *x, const mdm_tensor *w, const float *bias,
                              int T, void *ws);

/* 2^x for k vectors of 8 lanes in lockstep (lockstep.h), x in [-125, 127]
 * (the callers clamp), within 2e-7 relative: n = round(x) by the
 * 1.5 * 2^23 trick, 2^(x - n) by a degree-5 polynomial (minimax on
 * [-1/2, 1/2] with p(0) = 1 exactly: e^(delta A) near 1 carries no bias into
 * the scan's long recurrences), and n added to its exponent as an integer. */
MDM_AVX2_INLINE void mdm_exp2_256_k(__m256 *x, const int k) {
    static const float c[6] = {1.326472382e-3f, 9.671512991e-3f, 5.550733581e-2f,
                               2.402224243e-1f, 6.931470037e-1f, 1.0f};
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 nm[MDM_LOCKSTEP_MAX], r[MDM_LOCKSTEP_MAX], p[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) nm[j] = _mm256_add_ps(x[j], magic); /* its low bits: round(x) */
    MDM_EACH(j, k) r[j] = _mm256_sub_ps(x[j], _mm256_sub_ps(nm[j], magic));
    MDM_EACH(j, k) p[j] = _mm256_set1_ps(c[0]);
#pragma GCC unroll 5
    for (int i = 1; i < 6; i++)
        MDM_EACH(j, k) p[j] = _mm256_fmadd_ps(p[j], r[j], _mm256_set1_ps(c[i]));
    MDM_EACH(j, k) x[j] = _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_castps_si256(p[j]), _mm256_slli_epi32(_mm256_castps_si256(nm[j]), 23)));
}

MDM_AVX2_INLINE __m256 mdm_exp2_256(__m256 x) {
    mdm_exp2_256_k(&x, 1);
    return x;
}

/* e^-x for k vectors of 8 lanes: 2^(-x log2 e); below 2^-125, 2^-125; above
 * 2^127, +inf (as expf overflows: SiLU's x / (1 + e^-x) is then -0, not
 * x / 2^127). */
MDM_AVX2_INLINE void mdm_exp_neg256_k(__m256 *x, const int k) {
    const __m256 top = _mm256_set1_ps(127.0f);
    __m256 t[MDM_LOCKSTEP_MAX], big[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) t[j] = _mm256_mul_ps(x[j], _mm256_set1_ps(-1.44269504f));
    MDM_EACH(j, k) big[j] = _mm256_cmp_ps(t[j], top, _CMP_GT_OQ);
    MDM_EACH(j, k) x[j] = _mm256_min_ps(_mm256_max_ps(t[j], _mm256_set1_ps(-125.0f)), top);
    mdm_exp2_256_k(x, k);
    MDM_EACH(j, k) x[j] =
        _mm256_blendv_ps(x[j], _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000)), big[j]);
}

/* x * sigmoid(x) for k vectors of 8 lanes (mdm_silu_avx2 and the fused
 * passes). */
MDM_AVX2_INLINE void mdm_silu256_k(__m256 *v, const int k) {
    __m256 e[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) e[j] = v[j];
    mdm_exp_neg256_k(e, k);
    MDM_EACH(j, k) v[j] = _mm256_div_ps(v[j], _mm256_add_ps(_mm256_set1_ps(1.0f), e[j]));
}

MDM_AVX2_INLINE __m256 mdm_silu256(__m256 v) {
    mdm_silu256_k(&v, 1);
    return v;
}

/* softplus for k vectors of 8 lanes: log(1 + e^x) = max(x, 0) +
 * log1p(e^-|x|), log1p(u) as u P(u) (log1p_poly.h); x itself above 20, as
 * torch (mdm_softplus_avx2 and the fused dt_proj). */
MDM_AVX2_INLINE void mdm_softplus256_k(__m256 *x, const int k) {
    __m256 u[MDM_LOCKSTEP_MAX], p[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) u[j] = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x[j]);
    mdm_exp_neg256_k(u, k);
    MDM_EACH(j, k) p[j] = _mm256_set1_ps(mdm_log1p_poly[0]);
#pragma GCC unroll 8
    for (int i = 1; i <= MDM_LOG1P_DEGREE; i++)
        MDM_EACH(j, k) p[j] = _mm256_fmadd_ps(p[j], u[j], _mm256_set1_ps(mdm_log1p_poly[i]));
    MDM_EACH(j, k) p[j] =
        _mm256_add_ps(_mm256_max_ps(x[j], _mm256_setzero_ps()), _mm256_mul_ps(p[j], u[j]));
    MDM_EACH(j, k) x[j] =
        _mm256_blendv_ps(p[j], x[j], _mm256_cmp_ps(x[j], _mm256_set1_ps(20.0f), _CMP_GT_OQ));
}

MDM_AVX2_INLINE __m256 mdm_softplus256(__m256 x) {
    mdm_softplus256_k(&x, 1);
    return x;
}
#endif
#endif
