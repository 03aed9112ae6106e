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

/* Tokens [ta, tb) of channels c..c+15 for a kernel of K taps (a constant
 * where inlined with one): the K - 1 earlier inputs ride along in
 * registers, so each token loads one vector and stores one.  Taps before
 * the sequence start add w * 0 (the reference skips them: the same sum). */
MDM_AVX512_INLINE void conv1d_block(float *y, const float *x, const __m512 *wk, __m512 bv,
                                    int di, const int K, int c, __mmask16 m, int ta, int tb,
                                    int silu) {
    __m512 win[8];
    for (int k = 0; k < K - 1; k++) {
        const int s = ta - K + 1 + k;
        win[k] = s >= 0 ? _mm512_maskz_loadu_ps(m, x + (size_t)s * di + c) : _mm512_setzero_ps();
    }
    for (int t = ta; t < tb; t++) {
        win[K - 1] = _mm512_maskz_loadu_ps(m, x + (size_t)t * di + c);
        __m512 acc = bv;
        for (int k = 0; k < K; k++)
            acc = _mm512_fmadd_ps(wk[k], win[k], acc);
        for (int k = 0; k < K - 1; k++)
            win[k] = win[k + 1];
        _mm512_mask_storeu_ps(y + (size_t)t * di + c, m, silu ? mdm_silu512(acc) : acc);
    }
}

/* Tokens [ta, tb) of every channel, SiLU applied to the outputs when silu. */
MDM_AVX512 static void conv1d_chunk(float *y, const float *x, const float *w, const float *b,
                                    int di, int K, int ta, int tb, int silu) {
    const __m512i kidx = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i idx = _mm512_mullo_epi32(kidx, _mm512_set1_epi32(K));
    for (int c = 0; c < di; c += 16) {
        const __mmask16 m = tail_mask(di - c);
        __m512 wk[8];
        for (int k = 0; k < K; k++) /* w[c + j][k] for the 16 channels */
            wk[k] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, w + (size_t)c * K + k, 4);
        const __m512 bv = b ? _mm512_maskz_loadu_ps(m, b + c) : _mm512_setzero_ps();
        if (K == 4)
            conv1d_block(y, x, wk, bv, di, 4, c, m, ta, tb, silu);
        else
            conv1d_block(y, x, wk, bv, di, K, c, m, ta, tb, silu);
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
    /* chunks of 64 tokens, every channel through a chunk before the next:
     * its rows stay in cache and the TLB (as the scan, scan.c) */
    for (int ta = t0; ta < t1; ta += 64)
        conv1d_chunk(y, x, w, b, di, K, ta, ta + 64 < t1 ? ta + 64 : t1, silu);
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
