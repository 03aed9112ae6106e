/* Softplus on AVX2 (mdm_softplus256, avx2.h).  The ragged end runs through
 * the same vector code on a padded copy, so an element's result does not
 * depend on where a share starts. */
#include "kernels/x86/avx2.h"
#include <string.h>

#if defined(__x86_64__)
MDM_AVX2 void mdm_softplus_avx2(float *x, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) { /* four vectors in lockstep (lockstep.h) */
        __m256 v[4];
        MDM_EACH(j, 4) v[j] = _mm256_loadu_ps(x + i + 8 * j);
        mdm_softplus256_k(v, 4);
        MDM_EACH(j, 4) _mm256_storeu_ps(x + i + 8 * j, v[j]);
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, mdm_softplus256(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float pad[8] = {0};
        memcpy(pad, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(pad, mdm_softplus256(_mm256_loadu_ps(pad)));
        memcpy(x + i, pad, (n - i) * sizeof(float));
    }
}
#endif
