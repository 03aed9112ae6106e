/* SiLU and softplus on AVX-512 with the vector exp of x86.h; ragged ends
 * run through the same vector code under a mask, so an element's result
 * does not depend on where a thread's share starts. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
/* log(1 + u) for u in [0, 1] as u P(u): P fitted to log1p(u) / u for
 * relative error (3e-8 fitted, 2.4e-7 evaluated in float), so a tiny u
 * keeps its relative precision.  No divide and no exponent split: the
 * getexp/getmant and two divides of the log it replaces made softplus
 * a third of the time of the whole scan. */
MDM_AVX512_INLINE __m512 log1p_unit(__m512 u) {
    __m512 p = _mm512_set1_ps(0.00523251947f);
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.0295042116f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.0782236531f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.136629865f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.191058457f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.248429269f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.333190858f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.499994934f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.99999994f));
    return _mm512_mul_ps(p, u);
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
