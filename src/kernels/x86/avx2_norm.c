/* RMSNorm and causal conv1d on AVX2: 8 channels per vector; ragged
 * channels take the reference loops. */
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

#define CONV_CB 256 /* channels per block: their taps, transposed, take 8 KB at most */

/* Tokens [ta, tb) of channels [c0, c0 + nc), nc a multiple of 8 and at
 * most CONV_CB, K <= 8: each token's 256 channels at once, so that rows
 * are read along their length (a walk down 8 channels at a time met a new
 * page, 4 KB on, at every token, which no prefetcher follows), with the
 * block's taps transposed to [k][channel] in L1. */
MDM_AVX2 static void conv1d_block(float *y, const float *x, const float *w, const float *b,
                                  int di, int K, int c0, int nc, int ta, int tb, int silu) {
    float wt[8][CONV_CB] __attribute__((aligned(32)));
    for (int j = 0; j < nc; j++)
        for (int k = 0; k < K; k++)
            wt[k][j] = w[(size_t)(c0 + j) * K + k];
    for (int t = ta; t < tb; t++) {
        float *yt = y + (size_t)t * di + c0;
        int j = 0;
        for (; j + 32 <= nc; j += 32) { /* four vectors, SiLU in lockstep (lockstep.h) */
            __m256 acc[4];
            MDM_EACH(q, 4) acc[q] = b ? _mm256_loadu_ps(b + c0 + j + 8 * q) : _mm256_setzero_ps();
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    MDM_EACH(q, 4) acc[q] = _mm256_fmadd_ps(
                        _mm256_load_ps(wt[k] + j + 8 * q),
                        _mm256_loadu_ps(x + (size_t)s * di + c0 + j + 8 * q), acc[q]);
            }
            if (silu)
                mdm_silu256_k(acc, 4);
            MDM_EACH(q, 4) _mm256_storeu_ps(yt + j + 8 * q, acc[q]);
        }
        for (; j < nc; j += 8) {
            __m256 acc = b ? _mm256_loadu_ps(b + c0 + j) : _mm256_setzero_ps();
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc = _mm256_fmadd_ps(_mm256_load_ps(wt[k] + j),
                                          _mm256_loadu_ps(x + (size_t)s * di + c0 + j), acc);
            }
            _mm256_storeu_ps(yt + j, silu ? mdm_silu256(acc) : acc);
        }
    }
}

/* conv1d, then SiLU when silu (lane for lane mdm_silu_avx2's bits). */
MDM_AVX2 static void conv1d_range(float *y, const float *x, const float *w, const float *b,
                                  int di, int K, int t0, int t1, int silu) {
    const int c8 = K <= 8 ? di / 8 * 8 : 0;
    for (int c0 = 0; c0 < c8; c0 += CONV_CB)
        conv1d_block(y, x, w, b, di, K, c0, c8 - c0 < CONV_CB ? c8 - c0 : CONV_CB, t0, t1, silu);
    for (int c = c8; c < di; c++) /* ragged channels: the reference loop */
        for (int t = t0; t < t1; t++) {
            float acc = b ? b[c] : 0.0f;
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc += w[(size_t)c * K + k] * x[(size_t)s * di + c];
            }
            y[(size_t)t * di + c] =
                silu ? _mm256_cvtss_f32(mdm_silu256(_mm256_set1_ps(acc))) : acc;
        }
}

MDM_AVX2 void mdm_conv1d_avx2(float *y, const float *x, const float *w, const float *b, int T,
                              int di, int K, int t0, int t1) {
    conv1d_range(y, x, w, b, di, K, t0, t1, 0);
    (void)T;
}

/* conv1d then SiLU in one pass (the Mamba block's conv1d -> SiLU). */
MDM_AVX2 void mdm_conv1d_silu_avx2(float *y, const float *x, const float *w, const float *b,
                                   int T, int di, int K, int t0, int t1) {
    conv1d_range(y, x, w, b, di, K, t0, t1, 1);
    (void)T;
}
#endif
