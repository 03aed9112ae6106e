/* Linear layers on NEON.  F32 and F16 weights (and quantized ones without
 * sdot): 8 output rows decoded and transposed into a panel [K][8], then the
 * GEMM core over all tokens.  Q8_0 / Q4_0 with the dot-product extension:
 * tokens quantized to int8 per 32-block (f32 scale, as the x86 set), and
 * each block's sum of products taken by two sdot (vdotq_s32) against the
 * weight block (Q4_0 unpacked to q - 8), scaled and summed in f32. */
#include "kernels/arm/arm.h"
#include <string.h>

#if defined(__ARM_NEON)
static void pack_panel(float *bp, const mdm_tensor *w, int o0, int nr, int K, float *tmp) {
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
    for (int j = 0; j < nr; j++)
        mdm_dequantize_row(w->type, (const unsigned char *)w->data + (size_t)(o0 + j) * rb,
                           tmp + (size_t)j * K, (size_t)K);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < 8; j++)
            bp[(size_t)k * 8 + j] = j < nr ? tmp[(size_t)j * K + k] : 0.0f;
}

static void matmul_f32(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                       float *ws) {
    const int K = (int)w->ne[0], out = (int)w->ne[1];
    float *bp = ws, *tmp = ws + (size_t)K * 8;
    for (int o = 0; o < out; o += 8) {
        const int nr = out - o < 8 ? out - o : 8;
        pack_panel(bp, w, o, nr, K, tmp);
        mdm_gemm_panel_neon(y + o, (size_t)out, x, (size_t)K, bp, K, T, nr,
                            bias ? bias + o : NULL, NULL);
    }
}

#if defined(__ARM_FEATURE_DOTPROD)
/* One token: K/32 blocks of 32 int8 in xq, scales in sx. */
static void quantize_row(int8_t *xq, float *sx, const float *x, int K) {
    for (int b = 0; b < K / 32; b++) {
        const float *xb = x + b * 32;
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int i = 0; i < 32; i += 4)
            m = vmaxq_f32(m, vabsq_f32(vld1q_f32(xb + i)));
        const float amax = vmaxvq_f32(m), d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int i = 0; i < 32; i += 8) {
            int32x4_t q0 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xb + i), id));
            int32x4_t q1 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xb + i + 4), id));
            int16x8_t q = vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1));
            vst1_s8(xq + b * 32 + i, vqmovn_s16(q));
        }
        sx[b] = d;
    }
}

/* Row o as int8 [K] and scales [K/32]. */
static void unpack_row(int8_t *wq, float *sw, const mdm_tensor *w, int o, int nb) {
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)nb * 32);
    const unsigned char *row = (const unsigned char *)w->data + (size_t)o * rb;
    for (int b = 0; b < nb; b++) {
        uint16_t dh;
        if (w->type == MDM_TYPE_Q8_0) {
            const mdm_block_q8_0 *blk = (const mdm_block_q8_0 *)row + b;
            memcpy(&dh, &blk->d, 2);
            memcpy(wq + b * 32, blk->qs, 32);
        } else {
            const mdm_block_q4_0 *blk = (const mdm_block_q4_0 *)row + b;
            memcpy(&dh, &blk->d, 2);
            uint8x16_t q = vld1q_u8(blk->qs);
            int8x16_t lo =
                vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), vdupq_n_s8(8));
            int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
            vst1q_s8(wq + b * 32, lo);
            vst1q_s8(wq + b * 32 + 16, hi);
        }
        sw[b] = mdm_f16_to_f32(dh);
    }
}

#define RO 4 /* weight rows per pass */

static void matmul_int8(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                        unsigned char *ws) {
    const int K = (int)w->ne[0], out = (int)w->ne[1], nb = K / 32;
    int8_t *xq = (int8_t *)ws;
    float *sx = (float *)(ws + (((size_t)T * K + 15) & ~(size_t)15));
    int8_t *wq = (int8_t *)(sx + (size_t)T * nb);
    float *sw = (float *)(wq + (size_t)RO * K);
    for (int t = 0; t < T; t++)
        quantize_row(xq + (size_t)t * K, sx + (size_t)t * nb, x + (size_t)t * K, K);
    for (int o = 0; o < out; o += RO) {
        const int ro = out - o < RO ? out - o : RO;
        for (int r = 0; r < ro; r++)
            unpack_row(wq + (size_t)r * K, sw + (size_t)r * nb, w, o + r, nb);
        for (int t = 0; t < T; t++) {
            const int8_t *xt = xq + (size_t)t * K;
            const float *st = sx + (size_t)t * nb;
            for (int r = 0; r < ro; r++) {
                const int8_t *wr = wq + (size_t)r * K;
                float32x4_t acc = vdupq_n_f32(0.0f);
                for (int b = 0; b < nb; b++) {
                    int32x4_t s = vdotq_s32(vdupq_n_s32(0), vld1q_s8(xt + b * 32),
                                            vld1q_s8(wr + b * 32));
                    s = vdotq_s32(s, vld1q_s8(xt + b * 32 + 16), vld1q_s8(wr + b * 32 + 16));
                    acc = mdm_fma4(acc, vcvtq_f32_s32(s), vdupq_n_f32(st[b] * sw[r * nb + b]));
                }
                y[(size_t)t * out + o + r] = mdm_hsum4(acc) + (bias ? bias[o + r] : 0.0f);
            }
        }
    }
}
#endif

void mdm_matmul_neon(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                     void *ws) {
    unsigned char *a = (unsigned char *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
#if defined(__ARM_FEATURE_DOTPROD)
    if (w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0) {
        matmul_int8(y, x, w, bias, T, a);
        return;
    }
#endif
    matmul_f32(y, x, w, bias, T, (float *)a);
}
#endif
