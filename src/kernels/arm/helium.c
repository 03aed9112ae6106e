/* The "helium" kernel set (Cortex-M55/M85 with MVE floating point), four
 * lanes at a time with fused multiply-adds; not the scalar set's bits (the
 * firmware test holds its image to >= 40 dB of the host's scalar one,
 * ports/cortex-m/kcheck.c each kernel to the scalar set's on the board).
 * The 3x3 convolution keeps four neighbouring outputs of a row in a
 * vector, border outputs included: a tap outside the image is a lane
 * loaded as 0 under a mask (rows outside are skipped), a row's ragged end
 * a masked store.  A linear layer makes four output rows at once, from
 * four weight rows dequantized and interleaved in the workspace.  The
 * scan, SiLU and softplus are in helium_act.c.  Stride 2 goes the tiled
 * set's way. */
#include "kernels/arm/helium.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>

/* Outputs ox0 .. ox0 + 3 of row oy (stride 1), all windows inside. */
static void four_inside(float *yr, const float *x, const float *k, float bias, int ci, int h,
                        int w, int ky0, int ky1, int oy, int ox0) {
    float32x4_t a = vdupq_n_f32(bias);
    const size_t plane = (size_t)h * w;
    const float *p = x + (size_t)(oy - 1) * w + (ox0 - 1);
    for (int c = 0; c < ci; c++, p += plane) {
        const float *kc = k + c * 9;
        for (int ky = ky0; ky < ky1; ky++) {
            const float *r = p + (size_t)ky * w;
            a = vfmaq_n_f32(a, vld1q_f32(r), kc[ky * 3]);
            a = vfmaq_n_f32(a, vld1q_f32(r + 1), kc[ky * 3 + 1]);
            a = vfmaq_n_f32(a, vld1q_f32(r + 2), kc[ky * 3 + 2]);
        }
    }
    vst1q_f32(yr + ox0, a);
}

/* The same for a block at the left or right edge: lanes whose tap column
 * is outside load 0, lanes past the row's end are not stored. */
static void four_edge(float *yr, const float *x, const float *k, float bias, int ci, int h, int w,
                      int ky0, int ky1, int oy, int ox0) {
    mve_pred16_t pk[3];
    for (int kx = 0; kx < 3; kx++) { /* lane l reads column ox0 + l + kx - 1 */
        const int hi = w - (ox0 + kx - 1);
        pk[kx] = vctp32q((uint32_t)(hi < 0 ? 0 : hi));
        if (ox0 + kx - 1 < 0)
            pk[kx] &= 0xFFF0; /* lane 0 reads column -1 */
    }
    float32x4_t a = vdupq_n_f32(bias);
    const size_t plane = (size_t)h * w;
    /* the window's left column may be -1: its address is formed as an
     * integer, and that lane is masked off, so never read */
    const uintptr_t base = (uintptr_t)(x + (size_t)(oy - 1 + ky0) * w) + (uintptr_t)ox0 * 4 - 4;
    for (int c = 0; c < ci; c++) {
        const float *kc = k + c * 9;
        uintptr_t r = base + (uintptr_t)c * plane * 4;
        for (int ky = ky0; ky < ky1; ky++, r += (uintptr_t)w * 4)
            for (int kx = 0; kx < 3; kx++)
                a = vfmaq_n_f32(a, vldrwq_z_f32((const float *)(r + 4u * (unsigned)kx), pk[kx]),
                                kc[ky * 3 + kx]);
    }
    vstrwq_p_f32(yr + ox0, a, vctp32q((uint32_t)(w - ox0)));
}

static void conv2d(float *y, const float *x, const mdm_tensor *wt, const float *b, int ci, int co,
                   int h, int w, int stride, void *ws, int oy0, int oy1) {
    if (stride != 1) {
        mdm_conv2d_tiled_range(y, x, wt, b, ci, co, h, w, stride, ws, oy0, oy1);
        return;
    }
    const size_t row_bytes = mdm_type_row_bytes(wt->type, (size_t)ci * 9);
    float *k = ws;
    for (int o = 0; o < co; o++) {
        mdm_dequantize_row(wt->type, (const char *)wt->data + (size_t)o * row_bytes, k,
                           (size_t)ci * 9);
        const float bias = b ? b[o] : 0.0f;
        for (int oy = oy0; oy < oy1; oy++) {
            float *yr = y + ((size_t)o * h + oy) * w;
            const int ky0 = oy == 0, ky1 = oy == h - 1 ? 2 : 3; /* rows inside */
            for (int ox = 0; ox < w; ox += 4) {
                if (ox >= 1 && ox + 5 <= w)
                    four_inside(yr, x, k, bias, ci, h, w, ky0, ky1, oy, ox);
                else
                    four_edge(yr, x, k, bias, ci, h, w, ky0, ky1, oy, ox);
            }
        }
    }
}

/* Four output rows at a time: wr[i][4] holds their weights interleaved. */
static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    const int in = (int)w->ne[0], out = (int)w->ne[1];
    const size_t row_bytes = mdm_type_row_bytes(w->type, (size_t)in);
    float *row = ws, *wr = row + in;
    int o = 0;
    for (; o + 4 <= out; o += 4) {
        for (int j = 0; j < 4; j++) {
            mdm_dequantize_row(w->type, (const char *)w->data + (size_t)(o + j) * row_bytes, row,
                               (size_t)in);
            for (int i = 0; i < in; i++)
                wr[4 * i + j] = row[i];
        }
        const float32x4_t bv = bias ? vld1q_f32(bias + o) : vdupq_n_f32(0.0f);
        int t = 0;
        for (; t + 2 <= T; t += 2) { /* two tokens share each weight load */
            const float *x0 = x + (size_t)t * in, *x1 = x0 + in;
            float32x4_t a0 = bv, a1 = bv;
            for (int i = 0; i < in; i++) {
                const float32x4_t wv = vld1q_f32(wr + 4 * i);
                a0 = vfmaq_n_f32(a0, wv, x0[i]);
                a1 = vfmaq_n_f32(a1, wv, x1[i]);
            }
            vst1q_f32(y + (size_t)t * out + o, a0); /* rows are 4-byte aligned: fine for MVE */
            vst1q_f32(y + (size_t)(t + 1) * out + o, a1);
        }
        for (; t < T; t++) {
            const float *xt = x + (size_t)t * in;
            float32x4_t a = bv;
            for (int i = 0; i < in; i++)
                a = vfmaq_n_f32(a, vld1q_f32(wr + 4 * i), xt[i]);
            vst1q_f32(y + (size_t)t * out + o, a);
        }
    }
    for (; o < out; o++) { /* the last rows as the reference */
        mdm_dequantize_row(w->type, (const char *)w->data + (size_t)o * row_bytes, row,
                           (size_t)in);
        const float b = bias ? bias[o] : 0.0f;
        for (int t = 0; t < T; t++) {
            const float *xt = x + (size_t)t * in;
            float acc = 0.0f;
            for (int i = 0; i < in; i++)
                acc += xt[i] * row[i];
            y[(size_t)t * out + o] = acc + b;
        }
    }
}

/* A dequantized row and four interleaved ones, or one conv weight row. */
static size_t ws_bytes(int T, int K, int conv_k, int conv_co, int N) {
    (void)T, (void)conv_co, (void)N;
    size_t n = 5 * (size_t)K > (size_t)conv_k ? 5 * (size_t)K : (size_t)conv_k;
    return (n * sizeof(float) + 64 + 63) / 64 * 64;
}

const mdm_kernels mdm_kernels_helium = {
    .name = "helium",
    .matmul = matmul,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = mdm_scan_helium,
    .silu = mdm_silu_helium,
    .softplus = mdm_softplus_helium,
    .conv2d = conv2d,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .ws_bytes = ws_bytes,
};
#endif
