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

#define CONV_CB 1024 /* channels per pass: K rows of them stay in L1 */

/* Tokens [t0, t1) of channels [c0, c0 + cb), cb <= CONV_CB, row by row:
 * the weights transposed to [K][cb] once, then each output vector reads
 * the K rows it needs (the K - 1 earlier ones were just read, so they are
 * in L1) and rows are walked in order, which the prefetchers follow.
 * Sums in the reference's order: bias, then taps k = 0..K-1 (those before
 * the sequence start skipped). */
MDM_AVX512 static void conv1d_rows(float *y, const float *x, const float *w, const float *b,
                                   int di, int K, int c0, int cb, int t0, int t1, int silu) {
    float wt[8 * CONV_CB] __attribute__((aligned(64)));
    float bt[CONV_CB] __attribute__((aligned(64)));
    for (int j = 0; j < cb; j++) {
        for (int k = 0; k < K; k++)
            wt[k * CONV_CB + j] = w[(size_t)(c0 + j) * K + k];
        bt[j] = b ? b[c0 + j] : 0.0f;
    }
    for (int t = t0; t < t1; t++) {
        const int k0 = t - K + 1 < 0 ? K - 1 - t : 0; /* first tap inside the sequence */
        /* the row four tokens ahead: in_proj wrote it a stage ago, so its
         * lines come from L3 or memory, and rows 4 KB apart walked 64 bytes
         * at a time do not start the hardware prefetchers early enough */
        const float *ahead = t + 4 < t1 ? x + (size_t)(t + 4) * di + c0 : NULL;
        int j = 0;
        for (; j + 64 <= cb; j += 64) { /* four vectors, SiLU in lockstep (lockstep.h) */
            if (ahead)
                MDM_EACH(i, 4) _mm_prefetch((const char *)(ahead + j + 16 * i), _MM_HINT_T0);
            __m512 acc[4];
            MDM_EACH(i, 4) acc[i] = _mm512_load_ps(bt + j + 16 * i);
            for (int k = k0; k < K; k++) {
                const float *xk = x + (size_t)(t - K + 1 + k) * di + c0 + j;
                MDM_EACH(i, 4) acc[i] = _mm512_fmadd_ps(_mm512_load_ps(wt + k * CONV_CB + j + 16 * i),
                                                     _mm512_loadu_ps(xk + 16 * i), acc[i]);
            }
            if (silu)
                mdm_silu512_k(acc, 4);
            MDM_EACH(i, 4) _mm512_storeu_ps(y + (size_t)t * di + c0 + j + 16 * i, acc[i]);
        }
        for (; j < cb; j += 16) {
            const __mmask16 m = tail_mask(cb - j);
            if (ahead)
                _mm_prefetch((const char *)(ahead + j), _MM_HINT_T0);
            __m512 acc = _mm512_load_ps(bt + j);
            for (int k = k0; k < K; k++)
                acc = _mm512_fmadd_ps(
                    _mm512_load_ps(wt + k * CONV_CB + j),
                    _mm512_maskz_loadu_ps(m, x + (size_t)(t - K + 1 + k) * di + c0 + j), acc);
            _mm512_mask_storeu_ps(y + (size_t)t * di + c0 + j, m, silu ? mdm_silu512(acc) : acc);
        }
    }
}

static void conv1d_range(float *y, const float *x, const float *w, const float *b, int T, int di,
                         int K, int t0, int t1, int silu) {
    if (K > 8) {
        mdm_conv1d_ref_range(y, x, w, b, T, di, K, t0, t1);
        if (silu)
            mdm_silu_avx512(y + (size_t)t0 * di, (size_t)(t1 - t0) * di);
        return;
    }
    for (int c0 = 0; c0 < di; c0 += CONV_CB)
        conv1d_rows(y, x, w, b, di, K, c0, di - c0 < CONV_CB ? di - c0 : CONV_CB, t0, t1, silu);
}

void mdm_conv1d_avx512(float *y, const float *x, const float *w, const float *b, int T, int di,
                       int K, int t0, int t1) {
    conv1d_range(y, x, w, b, T, di, K, t0, t1, 0);
}

/* conv1d then SiLU in one pass (the Mamba block's conv1d -> SiLU). */
void mdm_conv1d_silu_avx512(float *y, const float *x, const float *w, const float *b, int T,
                            int di, int K, int t0, int t1) {
    conv1d_range(y, x, w, b, T, di, K, t0, t1, 1);
}
#endif
