/* The x86 kernels: the reference kernels' contracts (kernels.h, dispatch.h)
 * with AVX-512 bodies.  Every function carries MDM_AVX512, a per-function
 * target, so the rest of the build stays baseline x86-64 and these run only
 * after dispatch.c has checked the CPU. */
#ifndef MDM_KERNELS_X86_H
#define MDM_KERNELS_X86_H
#include "kernels/dispatch.h"
#include "kernels/x86/lockstep.h"
#include "kernels/x86/log1p_poly.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define MDM_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,fma,f16c")))
#define MDM_AVX512_INLINE static inline __attribute__((always_inline)) MDM_AVX512

void mdm_matmul_avx512(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                       void *ws);
void mdm_matmul2_avx512(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                        const float *x, int T, void *ws);
void mdm_scan_avx512(float *y, const float *x, const float *delta, const float *A, const float *B,
                     const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                     int c0, int c1);
void mdm_scan_dt_avx512(float *y, const float *x, const float *dt, int R, const float *W,
                        const float *bias, const float *A, const float *B, const float *C,
                        int ld_bc, const float *D, int T, int di, int N, float *h, int c0,
                        int c1);
void mdm_conv2d_avx512(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                       int co, int h, int w_, int stride, void *ws,
                       int oy0, int oy1);
void mdm_silu_avx512(float *x, size_t n);
void mdm_silu_mul_avx512(float *y, const float *z, size_t n);
void mdm_softplus_avx512(float *x, size_t n);
void mdm_matmul_softplus_avx512(float *y, const float *x, const mdm_tensor *w, const float *bias,
                                int T, void *ws);
void mdm_rmsnorm_avx512(float *y, const float *x, const float *w, int T, int d, float eps);
void mdm_conv1d_avx512(float *y, const float *x, const float *w, const float *b, int T, int di,
                       int K, int t0, int t1);
void mdm_conv1d_silu_avx512(float *y, const float *x, const float *w, const float *b, int T,
                            int di, int K, int t0, int t1);

/* The F32 GEMM core shared by matmul and conv2d: C[i][j] = sum_k A[i][k] *
 * B[k][j] for i < M (rows of A, stride lda) and j < nc <= 32, where bp is
 * one packed panel [K][32]; C rows have stride ldc.  Adds col_bias[j] (if
 * not NULL) or row_bias[i] (if not NULL) at the end. */
void mdm_gemm_panel_avx512(float *c, size_t ldc, const float *a, size_t lda, const float *bp,
                           int K, int M, int nc, const float *col_bias, const float *row_bias);
/* The same with softplus on each result after its bias (mdm_softplus512). */
void mdm_gemm_panel_softplus_avx512(float *c, size_t ldc, const float *a, size_t lda,
                                    const float *bp, int K, int M, int nc,
                                    const float *col_bias);

/* The elementwise bodies below work on k <= MDM_LOCKSTEP_MAX vectors in
 * lockstep (lockstep.h). */

/* e^x for 16 lanes (x <= 88; large negative x gives 0), within 3.1 ulp
 * (1.84e-7 relative over [-87, 88]): 2^(x log2 e) with n = round(x log2 e)
 * and f = x log2 e - n from log2 e split into two floats (two FMAs, so f
 * keeps its bits for large x), 2^f by a polynomial fitted for relative error
 * on [-1/2, 1/2], scaled by 2^n with scalef (gradual underflow).  Eight
 * multiplies and FMAs, which on the CPUs measured are the only ops here that
 * share the FMA pipes (mdm-bench-pipes); a Cody-Waite split of ln 2 and
 * a degree-6 Taylor series took ten. */
MDM_AVX512_INLINE void mdm_exp512_k(__m512 *x, const int k) {
    static const float c[6] = {0.00132647157f, 0.00967151206f, 0.0555073358f,
                               0.240222424f,   0.693147004f,   1.0f};
    const __m512 log2e_hi = _mm512_set1_ps(1.44269502f), log2e_lo = _mm512_set1_ps(1.92596299e-8f);
    __m512 n[MDM_LOCKSTEP_MAX], f[MDM_LOCKSTEP_MAX], p[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) x[j] = _mm512_max_ps(x[j], _mm512_set1_ps(-104.0f));
    MDM_EACH(j, k) n[j] = _mm512_roundscale_ps(_mm512_mul_ps(x[j], log2e_hi),
                                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    MDM_EACH(j, k) f[j] = _mm512_fmsub_ps(x[j], log2e_hi, n[j]);
    MDM_EACH(j, k) f[j] = _mm512_fmadd_ps(x[j], log2e_lo, f[j]);
    MDM_EACH(j, k) p[j] = _mm512_set1_ps(c[0]);
#pragma GCC unroll 5
    for (int i = 1; i < 6; i++)
        MDM_EACH(j, k) p[j] = _mm512_fmadd_ps(p[j], f[j], _mm512_set1_ps(c[i]));
    MDM_EACH(j, k) x[j] = _mm512_scalef_ps(p[j], n[j]); /* p * 2^n, exact */
}

MDM_AVX512_INLINE __m512 mdm_exp512(__m512 x) {
    mdm_exp512_k(&x, 1);
    return x;
}

/* x * sigmoid(x) = x / (1 + e^-x) for 16 lanes, as mdm_silu_avx512 (shared
 * by the fused passes).  e^-x is +inf past -x = 88, as expf overflows, so a
 * huge negative x gives -0 and not x / (1 + e^88). */
MDM_AVX512_INLINE void mdm_silu512_k(__m512 *x, const int k) {
    const __m512 one = _mm512_set1_ps(1.0f), top = _mm512_set1_ps(88.0f);
    __m512 e[MDM_LOCKSTEP_MAX];
    __mmask16 big[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) e[j] = _mm512_sub_ps(_mm512_setzero_ps(), x[j]);
    MDM_EACH(j, k) big[j] = _mm512_cmp_ps_mask(e[j], top, _CMP_GT_OQ);
    MDM_EACH(j, k) e[j] = _mm512_min_ps(e[j], top);
    mdm_exp512_k(e, k);
    MDM_EACH(j, k) e[j] = _mm512_mask_blend_ps(big[j], e[j],
                                            _mm512_castsi512_ps(_mm512_set1_epi32(0x7f800000)));
    MDM_EACH(j, k) x[j] = _mm512_div_ps(x[j], _mm512_add_ps(one, e[j]));
}

MDM_AVX512_INLINE __m512 mdm_silu512(__m512 x) {
    mdm_silu512_k(&x, 1);
    return x;
}

/* log(1 + u) for u in [0, 1] as u P(u) (log1p_poly.h). */
MDM_AVX512_INLINE void mdm_log1p_unit512_k(__m512 *u, const int k) {
    __m512 p[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) p[j] = _mm512_set1_ps(mdm_log1p_poly[0]);
#pragma GCC unroll 8
    for (int i = 1; i <= MDM_LOG1P_DEGREE; i++)
        MDM_EACH(j, k) p[j] = _mm512_fmadd_ps(p[j], u[j], _mm512_set1_ps(mdm_log1p_poly[i]));
    MDM_EACH(j, k) u[j] = _mm512_mul_ps(p[j], u[j]);
}

/* softplus: log(1 + e^x) = max(x, 0) + log1p(e^-|x|); x itself above 20, as
 * torch (mdm_softplus_avx512 and the fused dt_proj). */
MDM_AVX512_INLINE void mdm_softplus512_k(__m512 *x, const int k) {
    __m512 t[MDM_LOCKSTEP_MAX];
    MDM_EACH(j, k) t[j] = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x[j]));
    mdm_exp512_k(t, k);
    mdm_log1p_unit512_k(t, k);
    MDM_EACH(j, k) t[j] = _mm512_add_ps(_mm512_max_ps(x[j], _mm512_setzero_ps()), t[j]);
    MDM_EACH(j, k) x[j] = _mm512_mask_blend_ps(
        _mm512_cmp_ps_mask(x[j], _mm512_set1_ps(20.0f), _CMP_GT_OQ), t[j], x[j]);
}

MDM_AVX512_INLINE __m512 mdm_softplus512(__m512 x) {
    mdm_softplus512_k(&x, 1);
    return x;
}

/* A 16 x 16 matrix in 16 vectors transposed in registers, r[i][j] <- r[j][i]:
 * in-lane unpacks and shuffles, then 128-bit lanes (the scan's A block, the
 * int8 tile's results). */
MDM_AVX512_INLINE void mdm_transpose16_ps(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}
#endif
#endif
