/* Activations to the AVX2 int8 layout (quantize_x.h), 8 tokens at a time,
 * as quantize_x16.c does for 16: per 32-column block, one transposing
 * max tree gives the 8 tokens' amax in one vector, the scales are
 * computed as vectors, and the bytes are packed across tokens
 * (vpackssdw/vpacksswb of token pairs) into the [k4][lane] layout with
 * one 128-bit lane swap per pair of k4: eight stores, not 64 copies.  The
 * sums come from the bytes (vpmaddubsw with ones, then vpmaddwd).  Same
 * bits as one token at a time (quantize_block_tokens8); a block whose
 * bytes would saturate or whose maxima are not finite goes that way. */
#include "kernels/x86/avx2.h"
#include "kernels/x86/quantize_x.h"
#include <string.h>

#if defined(__x86_64__)
#define XB MDM_XQ8_BLOCK_BYTES

/* One block, one token at a time: token t's 32 floats at x + t ld, lanes
 * from n on zero.  The reference for the vector path. */
MDM_AVX2 static void quantize_block_tokens8(unsigned char *g, const float *x, size_t ld, int n) {
    memset(g, 0, XB);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int t = 0; t < n; t++) {
        const float *xb = x + t * ld;
        __m256 v[4];
        __m256 a = _mm256_setzero_ps();
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            v[j] = _mm256_loadu_ps(xb + 8 * j);
            a = _mm256_max_ps(a, _mm256_andnot_ps(sign, v[j]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 s = _mm256_set1_ps(id);
        __m256i q[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], s));
        const __m256i qs =
            _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(qs), _mm256_extracti128_si256(qs, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        const int32_t sum = _mm_cvtsi128_si32(s4);
        /* to bytes: the packs interleave 4-value pieces per 128-bit half;
         * the permutation puts the 4-byte groups back in order */
        const __m256i b8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]),
                                              _mm256_packs_epi32(q[2], q[3]));
        int32_t k4s[8];
        _mm256_storeu_si256((__m256i *)k4s,
                            _mm256_permutevar8x32_epi32(b8,
                                                        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
        for (int k4 = 0; k4 < 8; k4++)
            memcpy(g + k4 * 32 + t * 4, &k4s[k4], 4);
        memcpy(g + 256 + t * 4, &d, 4);
        memcpy(g + 288 + t * 4, &sum, 4);
    }
}

/* Lane t = max over the 8 lanes of a[t] (non-negative float bits). */
MDM_AVX2_INLINE __m256i lane_max8(const __m256i *a) {
    __m256i c[4], e[2];
#pragma GCC unroll 4 /* unrolled, or GCC keeps the arrays in memory */
    for (int i = 0; i < 4; i++) /* halves: [t | t + 4] */
        c[i] = _mm256_max_epu32(_mm256_permute2x128_si256(a[i], a[i + 4], 0x20),
                                _mm256_permute2x128_si256(a[i], a[i + 4], 0x31));
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) /* per half h: [4h + i, 4h + i + 2, 4h + i, 4h + i + 2] */
        e[i] = _mm256_max_epu32(_mm256_unpacklo_epi32(c[i], c[i + 2]),
                                _mm256_unpackhi_epi32(c[i], c[i + 2]));
    return _mm256_max_epu32(_mm256_unpacklo_epi32(e[0], e[1]), /* half h: 4h .. 4h + 3 */
                            _mm256_unpackhi_epi32(e[0], e[1]));
}

/* One 32-column block of 8 tokens (token t's 32 floats at x + t ld) into g,
 * x read twice: 8 rows' lines fit the L1 ways even 4 KB apart (16 rows do
 * not: quantize_x16.c copies those). */
MDM_AVX2_INLINE void quantize_block8(unsigned char *g, const float *x, size_t ld) {
    const __m256i mag = _mm256_set1_epi32(0x7fffffff);
    __m256i a[8];
    const float *row = x;
#pragma GCC unroll 8
    for (int t = 0; t < 8; t++, row += ld) {
        __m256i m = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(row + 8 * j));
            m = _mm256_max_epu32(m, _mm256_and_si256(v, mag));
        }
        a[t] = m;
    }
    const __m256 amax = _mm256_castsi256_ps(lane_max8(a));
    const __m256 d = _mm256_div_ps(amax, _mm256_set1_ps(127.0f));
    const __m256 nz = _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_NEQ_UQ);
    const __m256 id = _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), d), nz);
    /* below 127.5, every value rounds into [-127, 127] (quantize_x16.c) */
    const __m256 top = _mm256_mul_ps(amax, id);
    if (_mm256_movemask_ps(_mm256_cmp_ps(top, _mm256_set1_ps(127.5f), _CMP_LT_OQ)) != 0xff) {
        quantize_block_tokens8(g, x, ld, 8);
        return;
    }
    _mm256_store_ps((float *)(g + 256), d);
    float ids[8] __attribute__((aligned(32)));
    _mm256_store_ps(ids, id);
    const __m256i ones8 = _mm256_set1_epi8(1);
    __m256i s16 = _mm256_setzero_si256();
    /* values 8j .. 8j + 7: k4 2j in the low half of a token's vector, 2j + 1 in the high */
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m256i r[2];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) { /* tokens 4h .. 4h + 3 */
            __m256i q[4];
#pragma GCC unroll 4
            for (int u = 0; u < 4; u++) {
                const int t = 4 * h + u;
                q[u] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + t * ld + 8 * j),
                                                        _mm256_set1_ps(ids[t])));
            }
            r[h] = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]),
                                      _mm256_packs_epi32(q[2], q[3]));
        }
        const __m256i o0 = _mm256_permute2x128_si256(r[0], r[1], 0x20);
        const __m256i o1 = _mm256_permute2x128_si256(r[0], r[1], 0x31);
        _mm256_store_si256((__m256i *)(g + 2 * j * 32), o0);
        _mm256_store_si256((__m256i *)(g + (2 * j + 1) * 32), o1);
        s16 = _mm256_add_epi16(s16, _mm256_add_epi16(_mm256_maddubs_epi16(ones8, o0),
                                                     _mm256_maddubs_epi16(ones8, o1)));
    }
    _mm256_store_si256((__m256i *)(g + 288), _mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
}

MDM_AVX2 void mdm_quantize_x8_avx2(unsigned char *xq, const float *x, int T, int K) {
    const int nb = K / 32, full = T / 8;
    for (int gi = 0; gi < full; gi++) {
        unsigned char *g = xq + (size_t)gi * nb * XB;
        const float *xg = x + (size_t)gi * 8 * K;
        for (int b = 0; b < nb; b++)
            quantize_block8(g + (size_t)b * XB, xg + b * 32, (size_t)K);
    }
    const int n = T - full * 8;
    if (n == 0)
        return;
    /* the last group's tokens in 8 rows whose lanes past T stay zero */
    float pad[8 * 32] __attribute__((aligned(32)));
    memset(pad, 0, sizeof pad);
    unsigned char *g = xq + (size_t)full * nb * XB;
    const float *xg = x + (size_t)full * 8 * K;
    for (int b = 0; b < nb; b++) {
        for (int t = 0; t < n; t++)
            memcpy(pad + t * 32, xg + (size_t)t * K + b * 32, 32 * sizeof(float));
        quantize_block8(g + (size_t)b * XB, pad, 32);
    }
}
#endif
