/* Softplus on AVX2 (the AVX-512 version's method, act.c, without getexp
 * and getmant): log(1 + e^x) = max(x, 0) + log1p(e^-|x|), x itself above
 * 20 as torch.  The ragged end runs through the same vector code on a
 * padded copy, so an element's result does not depend on where a share
 * starts. */
#include "kernels/x86/avx2.h"
#include <string.h>

#if defined(__x86_64__)
/* log(1 + u) for u in [0, 1]: exponent and mantissa of w = 1 + u from its
 * bits, then corrected by u / (w - 1) for the rounding of w. */
MDM_AVX2_INLINE __m256 log1p_unit8(__m256 u) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 w = _mm256_add_ps(one, u);
    const __m256i bits = _mm256_castps_si256(w);
    __m256 e = _mm256_cvtepi32_ps(
        _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000)));
    const __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.41421356f), _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
    e = _mm256_add_ps(e, _mm256_and_ps(big, one));
    const __m256 s = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
    const __m256 s2 = _mm256_mul_ps(s, s);
    __m256 p = _mm256_set1_ps(2.0f / 9.0f);
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(2.0f / 7.0f));
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(2.0f / 5.0f));
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(2.0f / 3.0f));
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(2.0f));
    const __m256 lg = _mm256_fmadd_ps(e, _mm256_set1_ps(0.693147181f), _mm256_mul_ps(p, s));
    const __m256 wm1 = _mm256_sub_ps(w, one);
    const __m256 nz = _mm256_cmp_ps(wm1, _mm256_setzero_ps(), _CMP_NEQ_OQ);
    const __m256 corr = _mm256_div_ps(u, _mm256_blendv_ps(one, wm1, nz));
    return _mm256_blendv_ps(u, _mm256_mul_ps(lg, corr), nz);
}

MDM_AVX2_INLINE __m256 softplus8(__m256 x) {
    const __m256 absx = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const __m256 r = _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()),
                                   log1p_unit8(mdm_exp256(_mm256_sub_ps(_mm256_setzero_ps(),
                                                                        absx))));
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_set1_ps(20.0f), _CMP_GT_OQ));
}

MDM_AVX2 void mdm_softplus_avx2(float *x, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, softplus8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float pad[8] = {0};
        memcpy(pad, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(pad, softplus8(_mm256_loadu_ps(pad)));
        memcpy(x + i, pad, (n - i) * sizeof(float));
    }
}
#endif
