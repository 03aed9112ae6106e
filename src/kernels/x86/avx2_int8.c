/* Q8_0 and Q4_0 linear layers on AVX2 as on AVX-512 (matmul.c), with 8
 * tokens across the lanes of a vector: the tokens are quantized to int8 in
 * blocks of 32 (one f32 scale each, as Q8_0), and each lane adds the
 * products of 4 of its bytes with 4 bytes of one weight row broadcast to
 * all lanes.  Two ways to add them, one kernel set each:
 *  - avx2-vnni: AVX-VNNI's vpdpbusd (u8 x s8, no saturation): the weights
 *    go to u8 (Q8_0 + 128, Q4_0's raw nibble q + 8) and the sum starts at
 *    -128 (or -8) times the block's activation sum, as matmul.c;
 *  - avx2: vpmaddubsw (u8 x s8 into saturating int16 pairs) + vpmaddwd.
 *    Q4_0's raw nibbles (<= 15) never saturate; for Q8_0 the unsigned side
 *    is |x| and the weights take x's sign (vpsignb), so that each product
 *    stays within 127 x 128 and a pair within int16, as llama.cpp does.
 * Each 32-block sum is scaled by (activation scale * weight scale) into an
 * f32 sum.  A token's result does not depend on its group or the thread.
 * Workspace (dispatch.h): activations, then the packed weight rows. */
#include "kernels/x86/avx2.h"
#include <string.h>

#if defined(__x86_64__)
#define MO 24         /* rows packed at a time: 3 tiles of 8 rows or 4 of 6 (avx2_int8_tile.h) */
#define XG8_BYTES 320 /* one block of 8 tokens: 8 x 32 bytes, 8 scales, 8 sums */

typedef int32_t __attribute__((may_alias)) i32_load;

static unsigned char *align32(void *p) {
    return (unsigned char *)(((uintptr_t)p + 31) & ~(uintptr_t)31);
}

/* Tokens x [T][K] -> groups of 8 tokens, each K/32 blocks of XG8_BYTES:
 * bytes [k4][lane][4], then f32 scales [lane], then int32 sums [lane].
 * Lanes past T are zero. */
MDM_AVX2 static void quantize_x8(unsigned char *xq, const float *x, int T, int K) {
    const int nb = K / 32, groups = (T + 7) / 8;
    memset(xq + (size_t)(T / 8) * nb * XG8_BYTES, 0, (size_t)(groups - T / 8) * nb * XG8_BYTES);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int t = 0; t < T; t++) {
        const int lane = t % 8;
        unsigned char *g = xq + (size_t)(t / 8) * nb * XG8_BYTES;
        for (int b = 0; b < nb; b++, g += XG8_BYTES) {
            const float *xb = x + (size_t)t * K + b * 32;
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
            for (int j = 0; j < 4; j++) /* |q| <= 127: no clamping needed */
                q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], s));
            const __m256i qs = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]),
                                                _mm256_add_epi32(q[2], q[3]));
            __m128i s4 =
                _mm_add_epi32(_mm256_castsi256_si128(qs), _mm256_extracti128_si256(qs, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
            const int32_t sum = _mm_cvtsi128_si32(s4);
            /* to bytes: the packs interleave 4-value pieces per 128-bit half;
             * the permutation puts the 4-byte groups back in order */
            const __m256i b8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]),
                                                  _mm256_packs_epi32(q[2], q[3]));
            int32_t k4s[8];
            _mm256_storeu_si256((__m256i *)k4s,
                                _mm256_permutevar8x32_epi32(
                                    b8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
            for (int k4 = 0; k4 < 8; k4++)
                memcpy(g + k4 * 32 + lane * 4, &k4s[k4], 4);
            memcpy(g + 256 + lane * 4, &d, 4);
            memcpy(g + 288 + lane * 4, &sum, 4);
        }
    }
}

/* Rows [o0, o0 + mo) as bytes [row][block][32] and f32 scales [row][block]:
 * unsigned (Q8_0 + 128; Q4_0's raw nibbles) when u8, else Q8_0's own. */
MDM_AVX2 void mdm_pack_rows_int8_avx2(unsigned char *wq, float *sw, const mdm_tensor *w, int o0,
                                      int mo, int nb, int u8, int bstride) {
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)nb * 32);
    const __m256i flip = _mm256_set1_epi8(u8 ? (char)0x80 : 0);
    const __m128i lo4 = _mm_set1_epi8(0x0f);
    for (int r = 0; r < mo; r++) {
        const unsigned char *row = (const unsigned char *)w->data + (size_t)(o0 + r) * rb;
        for (int b = 0; b < nb; b++) {
            const size_t at = bstride ? (size_t)b * bstride + r : (size_t)r * nb + b;
            unsigned char *dst = wq + at * 32;
            uint16_t dh;
            if (w->type == MDM_TYPE_Q8_0) {
                const mdm_block_q8_0 *blk = (const mdm_block_q8_0 *)row + b;
                memcpy(&dh, &blk->d, 2);
                __m256i q = _mm256_loadu_si256((const __m256i *)blk->qs);
                _mm256_storeu_si256((__m256i *)dst, _mm256_xor_si256(q, flip));
            } else {
                const mdm_block_q4_0 *blk = (const mdm_block_q4_0 *)row + b;
                memcpy(&dh, &blk->d, 2);
                __m128i q = _mm_loadu_si128((const __m128i *)blk->qs);
                _mm_storeu_si128((__m128i *)dst, _mm_and_si128(q, lo4));
                _mm_storeu_si128((__m128i *)(dst + 16), _mm_and_si128(_mm_srli_epi16(q, 4), lo4));
            }
            sw[at] = _cvtsh_ss(dh);
        }
    }
}

#define I8_TARGET MDM_AVX2
#define I8_SUFFIX _madd
#define I8_VNNI 0
#include "kernels/x86/avx2_int8_tile.h"
#undef I8_TARGET
#undef I8_SUFFIX
#undef I8_VNNI

#define I8_TARGET MDM_AVX2_VNNI
#define I8_SUFFIX _vnni
#define I8_VNNI 1
#include "kernels/x86/avx2_int8_tile.h"
#undef I8_TARGET
#undef I8_SUFFIX
#undef I8_VNNI

void mdm_matmul_avx2_int8(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                          void *ws) {
    if (w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0)
        mdm_matmul_int8_avx2_madd(y, x, w, bias, T, ws);
    else
        mdm_matmul_avx2(y, x, w, bias, T, ws);
}

void mdm_matmul_avx2_vnni(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                          void *ws) {
    if (w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0)
        mdm_matmul_int8_avx2_vnni(y, x, w, bias, T, ws);
    else
        mdm_matmul_avx2(y, x, w, bias, T, ws);
}
#endif
