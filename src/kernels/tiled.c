/* The "tiled" kernel set: plain C for cores without a vector unit (Cortex-M4,
 * M7, M55 without Helium), giving exactly the scalar set's bits.  Its 3x3
 * convolution, the VAE's hot loop, computes four neighbouring outputs at
 * once with the nine weights of a channel held in registers and no bounds
 * tests where the whole 3x3 window is inside the image; each output still
 * sums bias, then channel by channel the taps in (ky, kx) order, one
 * rounded product and one rounded add at a time, as the reference does.
 * Border outputs, where the reference skips the taps outside, are computed
 * as the reference computes them.  The linear layer runs four tokens per
 * weight row the same way.  Everything else is the scalar set's. */
#include "kernels/dispatch.h"

/* One output of the reference loop (kernels/ref/conv2d.c), taps outside
 * the image skipped: the rows and columns inside are worked out once, not
 * tested per tap; the taps left run in the reference's order. */
float mdm_conv2d_ref_one(const float *x, const float *k, float bias, int ci, int h, int w,
                         int stride, int oy, int ox) {
    const int iy0 = oy * stride - 1, ix0 = ox * stride - 1;
    const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + 3 > h ? h - iy0 : 3;
    const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + 3 > w ? w - ix0 : 3;
    float acc = bias;
    for (int c = 0; c < ci; c++) {
        const float *xc = x + (size_t)c * h * w, *kc = k + c * 9;
        for (int ky = ky0; ky < ky1; ky++) {
            const float *xr = xc + (size_t)(iy0 + ky) * w + (ix0 + kx0), *kr = kc + ky * 3 + kx0;
            for (int kx = 0; kx < kx1 - kx0; kx++)
                acc += kr[kx] * xr[kx];
        }
    }
    return acc;
}

/* The nine taps of channel c added to acc, window top-left at p. */
#define TAPS(acc, p, s)                                                                    \
    do {                                                                                   \
        acc += k0 * (p)[0], acc += k1 * (p)[1], acc += k2 * (p)[2];                        \
        acc += k3 * (p)[(s)], acc += k4 * (p)[(s) + 1], acc += k5 * (p)[(s) + 2];          \
        acc += k6 * (p)[2 * (s)], acc += k7 * (p)[2 * (s) + 1], acc += k8 * (p)[2 * (s) + 2]; \
    } while (0)

/* Outputs ox0 .. ox0 + 3 of row oy, all windows inside the image. */
static void four(float *yr, const float *x, const float *k, float bias, int ci, int h, int w,
                 int stride, int oy, int ox0) {
    float a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    const size_t plane = (size_t)h * w;
    const float *p = x + (size_t)(oy * stride - 1) * w + (ox0 * stride - 1);
    for (int c = 0; c < ci; c++, p += plane) {
        const float *kc = k + c * 9;
        const float k0 = kc[0], k1 = kc[1], k2 = kc[2], k3 = kc[3], k4 = kc[4], k5 = kc[5],
                    k6 = kc[6], k7 = kc[7], k8 = kc[8];
        TAPS(a0, p, w);
        TAPS(a1, p + stride, w);
        TAPS(a2, p + 2 * stride, w);
        TAPS(a3, p + 3 * stride, w);
    }
    yr[ox0] = a0, yr[ox0 + 1] = a1, yr[ox0 + 2] = a2, yr[ox0 + 3] = a3;
}

/* The same in the top or bottom row, whose windows are inside
 * horizontally: only window rows [ky0, ky1) are in the image. */
static void four_rows(float *yr, const float *x, const float *k, float bias, int ci, int h,
                      int w, int stride, int oy, int ox0, int ky0, int ky1) {
    float a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    const size_t plane = (size_t)h * w;
    const float *p = x + (size_t)(oy * stride - 1 + ky0) * w + (ox0 * stride - 1);
    for (int c = 0; c < ci; c++, p += plane) {
        for (int ky = ky0; ky < ky1; ky++) {
            const float *r = p + (size_t)(ky - ky0) * w, *kr = k + c * 9 + ky * 3;
            const float k0 = kr[0], k1 = kr[1], k2 = kr[2];
            a0 += k0 * r[0], a0 += k1 * r[1], a0 += k2 * r[2];
            r += stride;
            a1 += k0 * r[0], a1 += k1 * r[1], a1 += k2 * r[2];
            r += stride;
            a2 += k0 * r[0], a2 += k1 * r[1], a2 += k2 * r[2];
            r += stride;
            a3 += k0 * r[0], a3 += k1 * r[1], a3 += k2 * r[2];
        }
    }
    yr[ox0] = a0, yr[ox0 + 1] = a1, yr[ox0 + 2] = a2, yr[ox0 + 3] = a3;
}

void mdm_conv2d_tiled_range(float *y, const float *x, const mdm_tensor *wt, const float *b, int ci, int co,
                   int h, int w, int stride, void *ws, int oy0, int oy1) {
    const int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
    const size_t row_bytes = mdm_type_row_bytes(wt->type, (size_t)ci * 9);
    float *k = ws;
    /* windows of outputs [ox_lo, ox_hi) lie inside horizontally */
    const int ox_lo = 1, ox_hi = (w - 2) / stride + 1;
    for (int o = 0; o < co; o++) {
        mdm_dequantize_row(wt->type, (const char *)wt->data + (size_t)o * row_bytes, k,
                           (size_t)ci * 9);
        const float bias = b ? b[o] : 0.0f;
        for (int oy = oy0; oy < oy1; oy++) {
            float *yr = y + ((size_t)o * oh + oy) * ow;
            const int iy0 = oy * stride - 1;
            const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + 3 > h ? h - iy0 : 3;
            int ox = 0;
            for (; ox < ox_lo && ox < ow; ox++)
                yr[ox] = mdm_conv2d_ref_one(x, k, bias, ci, h, w, stride, oy, ox);
            if (ky0 == 0 && ky1 == 3)
                for (; ox + 4 <= ox_hi; ox += 4)
                    four(yr, x, k, bias, ci, h, w, stride, oy, ox);
            else if (ky1 > ky0)
                for (; ox + 4 <= ox_hi; ox += 4)
                    four_rows(yr, x, k, bias, ci, h, w, stride, oy, ox, ky0, ky1);
            for (; ox < ow; ox++)
                yr[ox] = mdm_conv2d_ref_one(x, k, bias, ci, h, w, stride, oy, ox);
        }
    }
}

/* The reference linear layer (kernels/ref/matmul.c) four tokens at a time:
 * each weight loaded once for the four sums, each sum in the reference's
 * order. */
static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    const int in = (int)w->ne[0], out = (int)w->ne[1];
    const size_t row_bytes = mdm_type_row_bytes(w->type, (size_t)in);
    float *wr = ws;
    for (int o = 0; o < out; o++) {
        mdm_dequantize_row(w->type, (const char *)w->data + (size_t)o * row_bytes, wr,
                           (size_t)in);
        const float b = bias ? bias[o] : 0.0f;
        int t = 0;
        for (; t + 4 <= T; t += 4) {
            const float *x0 = x + (size_t)t * in, *x1 = x0 + in, *x2 = x1 + in, *x3 = x2 + in;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            for (int i = 0; i < in; i++) {
                const float wv = wr[i];
                a0 += x0[i] * wv, a1 += x1[i] * wv, a2 += x2[i] * wv, a3 += x3[i] * wv;
            }
            y[(size_t)t * out + o] = a0 + b;
            y[(size_t)(t + 1) * out + o] = a1 + b;
            y[(size_t)(t + 2) * out + o] = a2 + b;
            y[(size_t)(t + 3) * out + o] = a3 + b;
        }
        for (; t < T; t++) {
            const float *xt = x + (size_t)t * in;
            float acc = 0.0f;
            for (int i = 0; i < in; i++)
                acc += xt[i] * wr[i];
            y[(size_t)t * out + o] = acc + b;
        }
    }
}

const mdm_kernels mdm_kernels_tiled = {
    .name = "tiled",
    .matmul = matmul,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = mdm_scan_ref_range,
    .silu = mdm_silu,
    .softplus = mdm_softplus,
    .conv2d = mdm_conv2d_tiled_range,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .ws_bytes = mdm_kernels_ws_one_row, /* one dequantized weight row, as the scalar set */
};
