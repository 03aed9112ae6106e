/* Softplus on AVX2: log(1 + e^x) = max(x, 0) + log1p(e^-|x|), x itself
 * above 20 as torch.  The ragged end runs through the same vector code on a
 * padded copy, so an element's result does not depend on where a share
 * starts. */
#include "kernels/x86/avx2.h"
#include "kernels/x86/log1p_poly.h"
#include <string.h>

#if defined(__x86_64__)
/* log(1 + u) for u in [0, 1] as u P(u) (log1p_poly.h): no division. */
MDM_AVX2_INLINE __m256 log1p_unit8(__m256 u) {
    __m256 p = _mm256_set1_ps(mdm_log1p_poly[0]);
#pragma GCC unroll 8
    for (int i = 1; i <= MDM_LOG1P_DEGREE; i++)
        p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(mdm_log1p_poly[i]));
    return _mm256_mul_ps(p, u);
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|); x itself above 20, as torch. */
MDM_AVX2_INLINE __m256 softplus8(__m256 x) {
    const __m256 absx = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const __m256 r =
        _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()), log1p_unit8(mdm_exp_neg256(absx)));
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
