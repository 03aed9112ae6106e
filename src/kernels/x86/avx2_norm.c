/* RMSNorm and causal conv1d on AVX2 (as norm.c on AVX-512): 8 channels
 * per vector; ragged channels take the reference loops. */
#include "kernels/x86/avx2.h"
#include <math.h>

#if defined(__x86_64__)
MDM_AVX2 void mdm_rmsnorm_avx2(float *y, const float *x, const float *w, int T, int d,
                               float eps) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * d;
        float *yt = y + (size_t)t * d;
        __m256 ss = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= d; i += 8) {
            const __m256 v = _mm256_loadu_ps(xt + i);
            ss = _mm256_fmadd_ps(v, v, ss);
        }
        float lanes[8], sum = 0.0f;
        _mm256_storeu_ps(lanes, ss);
        for (int j = 0; j < 8; j++)
            sum += lanes[j];
        for (; i < d; i++)
            sum += xt[i] * xt[i];
        /* the whole row is read before any write, so y may alias x */
        const float r = 1.0f / sqrtf(sum / (float)d + eps);
        const __m256 rv = _mm256_set1_ps(r);
        for (i = 0; i + 8 <= d; i += 8)
            _mm256_storeu_ps(yt + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(xt + i), rv),
                                                   _mm256_loadu_ps(w + i)));
        for (; i < d; i++)
            yt[i] = xt[i] * r * w[i];
    }
}

/* Tokens [ta, tb) of channels [0, c8), 8 at a time. */
MDM_AVX2 static void conv1d_chunk(float *y, const float *x, const float *w, const float *b,
                                  int di, int K, int c8, int ta, int tb) {
    for (int c = 0; c < c8; c += 8) {
        __m256 wk[8];
        for (int k = 0; k < K; k++) { /* w[c + j][k] for the 8 channels */
            float g[8];
            for (int j = 0; j < 8; j++)
                g[j] = w[(size_t)(c + j) * K + k];
            wk[k] = _mm256_loadu_ps(g);
        }
        const __m256 bv = b ? _mm256_loadu_ps(b + c) : _mm256_setzero_ps();
        for (int t = ta; t < tb; t++) {
            __m256 acc = bv;
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc = _mm256_fmadd_ps(wk[k], _mm256_loadu_ps(x + (size_t)s * di + c), acc);
            }
            _mm256_storeu_ps(y + (size_t)t * di + c, acc);
        }
    }
}

MDM_AVX2 void mdm_conv1d_avx2(float *y, const float *x, const float *w, const float *b, int T,
                              int di, int K, int t0, int t1) {
    const int c8 = K <= 8 ? di / 8 * 8 : 0;
    /* chunks of 64 tokens, every channel through a chunk before the next
     * (its rows stay in cache and the TLB, as norm.c) */
    for (int ta = t0; ta < t1; ta += 64)
        conv1d_chunk(y, x, w, b, di, K, c8, ta, ta + 64 < t1 ? ta + 64 : t1);
    for (int c = c8; c < di; c++) /* ragged channels: the reference loop */
        for (int t = t0; t < t1; t++) {
            float acc = b ? b[c] : 0.0f;
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc += w[(size_t)c * K + k] * x[(size_t)s * di + c];
            }
            y[(size_t)t * di + c] = acc;
        }
    (void)T;
}
#endif
