/* SiLU and softplus on AVX-512 with the vector exp of x86.h; ragged ends
 * run through the same vector code under a mask, so an element's result
 * does not depend on where a thread's share starts. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
/* log(1 + u) for u in [0, 1]: log of w = 1 + u by exponent and mantissa
 * (getexp/getmant), then corrected by u / (w - 1) for the rounding of w. */
MDM_AVX512_INLINE __m512 log1p_unit(__m512 u) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 w = _mm512_add_ps(one, u);
    __m512 e = _mm512_getexp_ps(w);                                          /* floor(log2 w) */
    __m512 m = _mm512_getmant_ps(w, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);   /* [1, 2) */
    /* fold m into [sqrt(1/2), sqrt(2)) */
    __mmask16 big = _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.41421356f), _CMP_GT_OQ);
    m = _mm512_mask_mul_ps(m, big, m, _mm512_set1_ps(0.5f));
    e = _mm512_mask_add_ps(e, big, e, one);
    /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172 */
    __m512 s = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one));
    __m512 s2 = _mm512_mul_ps(s, s);
    __m512 p = _mm512_set1_ps(2.0f / 9.0f);
    p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.0f / 7.0f));
    p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.0f / 5.0f));
    p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.0f / 3.0f));
    p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.0f));
    __m512 lg = _mm512_fmadd_ps(e, _mm512_set1_ps(0.693147181f), _mm512_mul_ps(p, s));
    /* w - 1 differs from u by w's rounding: scale by u / (w - 1) (1 when u = 0) */
    __m512 wm1 = _mm512_sub_ps(w, one);
    __mmask16 nz = _mm512_cmp_ps_mask(wm1, _mm512_setzero_ps(), _CMP_NEQ_OQ);
    return _mm512_mask_mul_ps(u, nz, lg, _mm512_div_ps(u, _mm512_mask_blend_ps(nz, one, wm1)));
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|); x itself above 20, as torch. */
MDM_AVX512_INLINE __m512 softplus16(__m512 x) {
    const __m512 absx = _mm512_abs_ps(x);
    __m512 r = _mm512_add_ps(_mm512_max_ps(x, _mm512_setzero_ps()),
                             log1p_unit(mdm_exp512(_mm512_sub_ps(_mm512_setzero_ps(), absx))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(20.0f), _CMP_GT_OQ), r, x);
}

MDM_AVX512 void mdm_silu_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, mdm_silu512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, mdm_silu512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

MDM_AVX512 void mdm_softplus_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, softplus16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, softplus16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
/* y[i] *= SiLU(z[i]) (the gate before out_proj): the bits of mdm_silu_avx512
 * on z followed by a multiply, in one pass that leaves z as it is. */
MDM_AVX512 void mdm_silu_mul_avx512(float *y, const float *z, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i),
                                              mdm_silu512(_mm512_loadu_ps(z + i))));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 g = mdm_silu512(_mm512_maskz_loadu_ps(m, z + i));
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), g));
    }
}
#endif
