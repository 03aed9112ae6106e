/* 3x3 convolution on NEON: bounded im2col (8 output pixels of one row per
 * panel [ci*9][8]) on the NEON GEMM core, weights decoded 48 rows at a
 * time when they are not F32. */
#include "kernels/arm/arm.h"
#include "kernels/im2col.h"

#if defined(__ARM_NEON)
#define ROWS 48

static void conv_rows(float *y, const float *x, const float *a, const float *b, int m, int ci,
                      int h, int w_, int stride, float *bp, int oy0, int oy1) {
    const int oh = (h - 1) / stride + 1, ow = (w_ - 1) / stride + 1, K = ci * 9;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox0 = 0; ox0 < ow; ox0 += 8) {
            const int nc = ow - ox0 < 8 ? ow - ox0 : 8;
            mdm_im2col_panel(bp, x, ci, h, w_, stride, oy, ox0, nc, 8);
            mdm_gemm_panel_neon(y + (size_t)oy * ow + ox0, (size_t)oh * ow, a, (size_t)K, bp, K, m,
                                nc, NULL, b);
        }
}

void mdm_conv2d_neon(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                     int co, int h, int w_, int stride, void *ws, int oy0, int oy1) {
    const int K = ci * 9;
    const size_t plane = (size_t)((h - 1) / stride + 1) * (size_t)((w_ - 1) / stride + 1);
    float *bp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63), *rows = bp + (size_t)K * 8;
    if (w->type == MDM_TYPE_F32) {
        conv_rows(y, x, w->data, b, co, ci, h, w_, stride, bp, oy0, oy1);
        return;
    }
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
    for (int o0 = 0; o0 < co; o0 += ROWS) {
        const int nr = co - o0 < ROWS ? co - o0 : ROWS;
        for (int r = 0; r < nr; r++)
            mdm_dequantize_row(w->type, (const unsigned char *)w->data + (size_t)(o0 + r) * rb,
                               rows + (size_t)r * K, (size_t)K);
        conv_rows(y + (size_t)o0 * plane, x, rows, b ? b + o0 : NULL, nr, ci, h, w_, stride, bp,
                  oy0, oy1);
    }
}
#endif
