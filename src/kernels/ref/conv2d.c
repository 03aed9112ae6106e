/* Reference 3x3 convolution, zero padding 1, stride 1 or 2 (as PyTorch's
 * Conv2d(ci, co, 3, stride, padding=1)).  Weight row co holds [ci][3][3].
 * The range form computes output rows [oy0, oy1) of every channel; it is the
 * scalar kernel set's conv2d, which threads split by rows. */
#include "kernels/dispatch.h"
#include "kernels/kernels.h"

void mdm_conv2d_ref_range(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                          int co, int h, int w_, int stride, void *ws, int oy0, int oy1) {
    const int oh = (h - 1) / stride + 1, ow = (w_ - 1) / stride + 1;
    const size_t row_bytes = mdm_type_row_bytes(w->type, (size_t)ci * 9);
    float *scratch = ws;
    for (int o = 0; o < co; o++) {
        mdm_dequantize_row(w->type, (const char *)w->data + (size_t)o * row_bytes, scratch,
                           (size_t)ci * 9);
        float *yo = y + (size_t)o * oh * ow;
        for (int oy = oy0; oy < oy1; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float acc = b ? b[o] : 0.0f;
                for (int c = 0; c < ci; c++) {
                    const float *xc = x + (size_t)c * h * w_, *k = scratch + c * 9;
                    for (int ky = 0; ky < 3; ky++) {
                        const int iy = oy * stride - 1 + ky;
                        if (iy < 0 || iy >= h)
                            continue;
                        for (int kx = 0; kx < 3; kx++) {
                            const int ix = ox * stride - 1 + kx;
                            if (ix >= 0 && ix < w_)
                                acc += k[ky * 3 + kx] * xc[(size_t)iy * w_ + ix];
                        }
                    }
                }
                yo[(size_t)oy * ow + ox] = acc;
            }
        }
    }
}

void mdm_conv2d_3x3(float *y, const float *x, const mdm_tensor *w, const float *b, int ci, int co,
                    int h, int w_, int stride, float *scratch) {
    mdm_conv2d_ref_range(y, x, w, b, ci, co, h, w_, stride, scratch, 0, (h - 1) / stride + 1);
}
