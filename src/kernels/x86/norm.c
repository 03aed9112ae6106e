/* RMSNorm and causal conv1d on AVX-512: 16 channels per vector, masked
 * ragged ends. */
#include "kernels/x86/x86.h"
#include <math.h>

#if defined(__x86_64__)
MDM_AVX512_INLINE __mmask16 tail_mask(int left) {
    return (__mmask16)(left >= 16 ? 0xffff : (1u << left) - 1);
}

MDM_AVX512 void mdm_rmsnorm_avx512(float *y, const float *x, const float *w, int T, int d,
                                   float eps) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * d;
        float *yt = y + (size_t)t * d;
        __m512 ss = _mm512_setzero_ps();
        for (int i = 0; i < d; i += 16) {
            __m512 v = _mm512_maskz_loadu_ps(tail_mask(d - i), xt + i);
            ss = _mm512_fmadd_ps(v, v, ss);
        }
        const float r = 1.0f / sqrtf(_mm512_reduce_add_ps(ss) / (float)d + eps);
        const __m512 rv = _mm512_set1_ps(r);
        for (int i = 0; i < d; i += 16) {
            const __mmask16 m = tail_mask(d - i);
            __m512 v = _mm512_maskz_loadu_ps(m, xt + i);
            const __m512 wv = _mm512_maskz_loadu_ps(m, w + i);
            _mm512_mask_storeu_ps(yt + i, m, _mm512_mul_ps(_mm512_mul_ps(v, rv), wv));
        }
    }
}

/* Tokens [ta, tb) of every channel. */
MDM_AVX512 static void conv1d_chunk(float *y, const float *x, const float *w, const float *b,
                                    int di, int K, int ta, int tb) {
    const __m512i kidx = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i idx = _mm512_mullo_epi32(kidx, _mm512_set1_epi32(K));
    for (int c = 0; c < di; c += 16) {
        const __mmask16 m = tail_mask(di - c);
        __m512 wk[8];
        for (int k = 0; k < K; k++) /* w[c + j][k] for the 16 channels */
            wk[k] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, w + (size_t)c * K + k, 4);
        const __m512 bv = b ? _mm512_maskz_loadu_ps(m, b + c) : _mm512_setzero_ps();
        for (int t = ta; t < tb; t++) {
            __m512 acc = bv;
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc = _mm512_fmadd_ps(wk[k], _mm512_maskz_loadu_ps(m, x + (size_t)s * di + c),
                                          acc);
            }
            _mm512_mask_storeu_ps(y + (size_t)t * di + c, m, acc);
        }
    }
}

MDM_AVX512 void mdm_conv1d_avx512(float *y, const float *x, const float *w, const float *b, int T,
                                  int di, int K, int t0, int t1) {
    (void)T;
    if (K > 8) {
        mdm_conv1d_ref_range(y, x, w, b, T, di, K, t0, t1);
        return;
    }
    /* chunks of 64 tokens, every channel through a chunk before the next:
     * its rows stay in cache and the TLB (as the scan, scan.c) */
    for (int ta = t0; ta < t1; ta += 64)
        conv1d_chunk(y, x, w, b, di, K, ta, ta + 64 < t1 ? ta + 64 : t1);
}
#endif
