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
#include "kernels/x86/quantize_x.h"
#include <string.h>

#if defined(__x86_64__)
#define MO 24         /* rows packed at a time: 3 tiles of 8 rows or 4 of 6 (avx2_int8_tile.h) */
#define XG8_BYTES MDM_XQ8_BLOCK_BYTES /* one block of 8 tokens: 8 x 32 bytes, 8 scales, 8 sums */

typedef int32_t __attribute__((may_alias)) i32_load;

static unsigned char *align32(void *p) {
    return (unsigned char *)(((uintptr_t)p + 31) & ~(uintptr_t)31);
}

/* The activations: quantize_x8.c (quantize_x.h). */

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

static int is_int8(const mdm_tensor *w) {
    return w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0;
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

#endif
