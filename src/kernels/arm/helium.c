/* The "helium" kernel set (Cortex-M55/M85 with MVE floating point): the
 * tiled set's work four lanes at a time, with the scalar set's bits.  Each
 * lane is one output's own sum, in the reference's order, by separate
 * vector multiplies and adds (no fused multiply-add): the 3x3 convolution
 * keeps four neighbouring outputs of a row in a vector; a linear layer four
 * output rows, from four weight rows dequantized and interleaved in the
 * workspace.  Border outputs and stride 2 go the tiled set's way; the rest
 * is the scalar set's. */
#include "kernels/dispatch.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>

/* Outputs ox0 .. ox0 + 3 of row oy (stride 1, all windows inside). */
static void four(float *yr, const float *x, const float *k, float bias, int ci, int h, int w,
                 int oy, int ox0) {
    float32x4_t a = vdupq_n_f32(bias);
    const size_t plane = (size_t)h * w;
    const float *p = x + (size_t)(oy - 1) * w + (ox0 - 1);
    for (int c = 0; c < ci; c++, p += plane) {
        const float *kc = k + c * 9;
        for (int ky = 0; ky < 3; ky++) {
            const float *r = p + (size_t)ky * w;
            a = vaddq_f32(a, vmulq_n_f32(vld1q_f32(r), kc[ky * 3]));
            a = vaddq_f32(a, vmulq_n_f32(vld1q_f32(r + 1), kc[ky * 3 + 1]));
            a = vaddq_f32(a, vmulq_n_f32(vld1q_f32(r + 2), kc[ky * 3 + 2]));
        }
    }
    vst1q_f32(yr + ox0, a);
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
            int ox = 0;
            if (oy >= 1 && oy + 1 < h) {
                for (; ox < 1 && ox < w; ox++)
                    yr[ox] = mdm_conv2d_ref_one(x, k, bias, ci, h, w, 1, oy, ox);
                for (; ox + 4 <= w - 1; ox += 4)
                    four(yr, x, k, bias, ci, h, w, oy, ox);
            }
            for (; ox < w; ox++)
                yr[ox] = mdm_conv2d_ref_one(x, k, bias, ci, h, w, 1, oy, ox);
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
        for (int t = 0; t < T; t++) {
            const float *xt = x + (size_t)t * in;
            float32x4_t a = vdupq_n_f32(0.0f);
            for (int i = 0; i < in; i++)
                a = vaddq_f32(a, vmulq_n_f32(vld1q_f32(wr + 4 * i), xt[i]));
            float sums[4];
            vst1q_f32(sums, vaddq_f32(a, bv));
            for (int j = 0; j < 4; j++)
                y[(size_t)t * out + o + j] = sums[j];
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
    .scan = mdm_scan_ref_range,
    .silu = mdm_silu,
    .softplus = mdm_softplus,
    .conv2d = conv2d,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .ws_bytes = ws_bytes,
};
#endif
