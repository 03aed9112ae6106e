/* Activations to the AVX-512 int8 layout (quantize_x.h), 16 tokens at a
 * time: for one 32-column block of a group, the 16 tokens' abs-max vectors
 * are reduced to one vector of 16 maxima (a transposing tree, 3 ops per
 * token instead of a horizontal reduction each), the scales are computed
 * as vectors, and the bytes are packed across tokens (vpackssdw/vpacksswb
 * of token pairs) and transposed by 128-bit lanes straight into the
 * [k4][lane] layout: eight aligned stores where per-token code made 128
 * scalar copies.  The sums come from the bytes (vpdpbusd with ones).
 * Same bits as one token at a time (quantize_block_tokens): the maxima are
 * taken on the bit patterns of |x| (the order of non-negative floats), and
 * IEEE division and rounding are the same per lane.  A block whose bytes
 * would saturate or whose maxima are not finite (NaN, inf, a denormal
 * scale whose inverse overflows) goes one token at a time instead, where
 * the int32 sums and the NaN order of a reduction are the old code's. */
#include "kernels/x86/quantize_x.h"
#include "kernels/x86/x86.h"
#include <string.h>

#if defined(__x86_64__)
#define XB MDM_XQ16_BLOCK_BYTES

/* One block, one token at a time: token t's 32 floats at x + t ld, lanes
 * from n on zero.  The reference for the vector path. */
MDM_AVX512 static void quantize_block_tokens(unsigned char *g, const float *x, size_t ld, int n) {
    memset(g, 0, XB);
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int t = 0; t < n; t++) {
        __m512 v0 = _mm512_loadu_ps(x + t * ld), v1 = _mm512_loadu_ps(x + t * ld + 16);
        __m512 a = _mm512_max_ps(_mm512_andnot_ps(sign, v0), _mm512_andnot_ps(sign, v1));
        const float amax = _mm512_reduce_max_ps(a);
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m512 s = _mm512_set1_ps(id);
        __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, s));
        __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, s));
        int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        int8_t q[32];
        _mm_storeu_si128((__m128i *)q, _mm512_cvtsepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(q + 16), _mm512_cvtsepi32_epi8(q1));
        for (int k4 = 0; k4 < 8; k4++)
            memcpy(g + k4 * 64 + t * 4, q + k4 * 4, 4);
        memcpy(g + 512 + t * 4, &d, 4);
        memcpy(g + 576 + t * 4, &sum, 4);
    }
}

/* max(a[i], a[i + s]) across the two halves picked by the shuffles: a[i]'s
 * part in the low lanes, a[i + s]'s in the high ones. */
#define MAX_SHUF(lo_imm, hi_imm, x, y)                                                          \
    _mm512_max_epu32(_mm512_shuffle_i32x4(x, y, lo_imm), _mm512_shuffle_i32x4(x, y, hi_imm))

/* Lane t = max over the 16 lanes of a[t] (non-negative float bits). */
MDM_AVX512_INLINE __m512i lane_max16(const __m512i *a) {
    __m512i c[8], d[4], e[2];
#pragma GCC unroll 4 /* unrolled, or GCC keeps the arrays in memory */
    for (int i = 0; i < 4; i++) { /* 256-bit halves: [t | t + 4], t in 0..3 and 8..11 */
        c[i] = MAX_SHUF(0x44, 0xee, a[i], a[i + 4]);
        c[i + 4] = MAX_SHUF(0x44, 0xee, a[i + 8], a[i + 12]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) /* 128-bit lanes: tokens i, i + 4, i + 8, i + 12 */
        d[i] = MAX_SHUF(0x88, 0xdd, c[i], c[i + 4]);
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) /* per lane L: [4L + i, 4L + i + 2, 4L + i, 4L + i + 2] */
        e[i] = _mm512_max_epu32(_mm512_unpacklo_epi32(d[i], d[i + 2]),
                                _mm512_unpackhi_epi32(d[i], d[i + 2]));
    return _mm512_max_epu32(_mm512_unpacklo_epi32(e[0], e[1]), /* lane L: 4L .. 4L + 3 */
                            _mm512_unpackhi_epi32(e[0], e[1]));
}

/* o[i] 128-bit lane j = r[j] lane i. */
MDM_AVX512_INLINE void transpose_lanes4(__m512i *o, const __m512i *r) {
    const __m512i s0 = _mm512_shuffle_i32x4(r[0], r[1], 0x44);
    const __m512i s1 = _mm512_shuffle_i32x4(r[0], r[1], 0xee);
    const __m512i s2 = _mm512_shuffle_i32x4(r[2], r[3], 0x44);
    const __m512i s3 = _mm512_shuffle_i32x4(r[2], r[3], 0xee);
    o[0] = _mm512_shuffle_i32x4(s0, s2, 0x88);
    o[1] = _mm512_shuffle_i32x4(s0, s2, 0xdd);
    o[2] = _mm512_shuffle_i32x4(s1, s3, 0x88);
    o[3] = _mm512_shuffle_i32x4(s1, s3, 0xdd);
}

/* One 32-column block of 16 tokens (token t's 32 floats at x + t ld) into
 * g.  When copy (a constant after inlining), the values pass through buf
 * (16 x 32 floats) for the second pass: at a row stride that is a multiple
 * of 4 KB the 16 rows' lines share the same L1 sets and would be evicted
 * before the second pass reads them again.  Other strides read x twice. */
MDM_AVX512_INLINE void quantize_block16(unsigned char *g, const float *x, size_t ld, float *buf,
                                         int copy) {
    const __m512i mag = _mm512_set1_epi32(0x7fffffff);
    __m512i a[16];
    const float *row = x;
#pragma GCC unroll 16
    for (int t = 0; t < 16; t++, row += ld) {
        const __m512i v0 = _mm512_loadu_si512(row), v1 = _mm512_loadu_si512(row + 16);
        if (copy) {
            _mm512_store_si512((void *)(buf + t * 32), v0);
            _mm512_store_si512((void *)(buf + t * 32 + 16), v1);
        }
        a[t] = _mm512_max_epu32(_mm512_and_si512(v0, mag), _mm512_and_si512(v1, mag));
    }
    const float *src = copy ? buf : x; /* the second pass's rows, src_ld apart */
    const size_t src_ld = copy ? 32 : ld;
    const __m512 amax = _mm512_castsi512_ps(lane_max16(a));
    const __m512 d = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
    const __mmask16 nz = _mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_NEQ_UQ);
    const __m512 id = _mm512_maskz_div_ps(nz, _mm512_set1_ps(1.0f), d);
    /* |x id| <= amax id (rounding is monotonic): below 127.5, every value
     * rounds into [-127, 127], so bytes = int32 values and sums agree */
    if (_mm512_cmp_ps_mask(_mm512_mul_ps(amax, id), _mm512_set1_ps(127.5f), _CMP_LT_OQ) !=
        0xffff) {
        quantize_block_tokens(g, src, src_ld, 16);
        return;
    }
    _mm512_store_ps((float *)(g + 512), d);
    float ids[16] __attribute__((aligned(64)));
    _mm512_store_ps(ids, id);
    /* r0[j] lane i: tokens 4j .. 4j + 3's bytes of k4 i (values 4i .. 4i + 3,
     * a 128-bit lane of the first 16 values); r1[j]: k4 4 + i */
    __m512i r0[4], r1[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m512i p0[2], p1[2];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const int t = 4 * j + 2 * h;
            const __m512 s0 = _mm512_set1_ps(ids[t]), s1 = _mm512_set1_ps(ids[t + 1]);
            const float *u0 = src + t * src_ld, *u1 = u0 + src_ld;
            p0[h] = _mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(u0), s0)),
                                       _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(u1), s1)));
            p1[h] = _mm512_packs_epi32(
                _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(u0 + 16), s0)),
                _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(u1 + 16), s1)));
        }
        r0[j] = _mm512_packs_epi16(p0[0], p0[1]);
        r1[j] = _mm512_packs_epi16(p1[0], p1[1]);
    }
    __m512i o[8];
    transpose_lanes4(o, r0);
    transpose_lanes4(o + 4, r1);
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        _mm512_store_si512((void *)(g + k * 64), o[k]);
        _mm512_store_si512((void *)(g + (k + 4) * 64), o[k + 4]);
        s0 = _mm512_dpbusd_epi32(s0, ones, o[k]);
        s1 = _mm512_dpbusd_epi32(s1, ones, o[k + 4]);
    }
    _mm512_store_si512((void *)(g + 576), _mm512_add_epi32(s0, s1));
}

MDM_AVX512 void mdm_quantize_x16_avx512(unsigned char *xq, const float *x, int T, int K) {
    const int nb = K / 32, full = T / 16;
    float buf[16 * 32] __attribute__((aligned(64)));
    const int copy = K % 1024 == 0; /* rows 4 KB (or a multiple) apart */
    for (int gi = 0; gi < full; gi++) {
        unsigned char *g = xq + (size_t)gi * nb * XB;
        const float *xg = x + (size_t)gi * 16 * K;
        if (copy)
            for (int b = 0; b < nb; b++)
                quantize_block16(g + (size_t)b * XB, xg + b * 32, (size_t)K, buf, 1);
        else
            for (int b = 0; b < nb; b++)
                quantize_block16(g + (size_t)b * XB, xg + b * 32, (size_t)K, buf, 0);
    }
    const int n = T - full * 16;
    if (n == 0)
        return;
    /* the last group's tokens, block by block, in 16 rows whose lanes past T
     * stay zero (scale 0, bytes 0, sum 0) */
    float pad[16 * 32] __attribute__((aligned(64)));
    memset(pad, 0, sizeof pad);
    unsigned char *g = xq + (size_t)full * nb * XB;
    const float *xg = x + (size_t)full * 16 * K;
    for (int b = 0; b < nb; b++) {
        for (int t = 0; t < n; t++)
            memcpy(pad + t * 32, xg + (size_t)t * K + b * 32, 32 * sizeof(float));
        quantize_block16(g + (size_t)b * XB, pad, 32, buf, 0);
    }
}
#endif
