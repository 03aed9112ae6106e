/* SiLU and softplus on AVX-512 (their vector bodies in x86.h), four (SiLU)
 * or eight (softplus) vectors in lockstep while they last; ragged ends run
 * through the same vector code under a mask, so an element's result does
 * not depend on where a thread's share starts. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
MDM_AVX512 void mdm_silu_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 v[4];
        MDM_EACH(j, 4) v[j] = _mm512_loadu_ps(x + i + 16 * j);
        mdm_silu512_k(v, 4);
        MDM_EACH(j, 4) _mm512_storeu_ps(x + i + 16 * j, v[j]);
    }
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, mdm_silu512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, mdm_silu512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

MDM_AVX512 void mdm_softplus_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512 v[8]; /* its chain is longer than SiLU's: 8 in flight paid */
        MDM_EACH(j, 8) v[j] = _mm512_loadu_ps(x + i + 16 * j);
        mdm_softplus512_k(v, 8);
        MDM_EACH(j, 8) _mm512_storeu_ps(x + i + 16 * j, v[j]);
    }
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, mdm_softplus512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, mdm_softplus512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
/* y[i] *= SiLU(z[i]) (the gate before out_proj): the bits of mdm_silu_avx512
 * on z followed by a multiply, in one pass that leaves z as it is. */
MDM_AVX512 void mdm_silu_mul_avx512(float *y, const float *z, size_t n) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 g[4];
        MDM_EACH(j, 4) g[j] = _mm512_loadu_ps(z + i + 16 * j);
        mdm_silu512_k(g, 4);
        MDM_EACH(j, 4) _mm512_storeu_ps(y + i + 16 * j,
                                     _mm512_mul_ps(_mm512_loadu_ps(y + i + 16 * j), g[j]));
    }
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
