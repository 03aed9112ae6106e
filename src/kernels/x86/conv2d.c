/* 3x3 convolution on AVX-512 as a GEMM with bounded im2col: the output is
 * cut into runs of up to 32 pixels of one output row; each run's
 * [ci*9][32] input patch is built in a panel (masked loads give the zero
 * padding) and multiplied on the F32 GEMM core by the weight rows (F32 in
 * place; other types all decoded once, so each patch is built once).
 * Scratch: one panel and the decoded rows, whatever the image size. */
#include "kernels/x86/x86.h"
#include <string.h>

#if defined(__x86_64__)
/* Panel [ci*9][32] for output row oy, columns ox0 .. ox0 + nc - 1. */
MDM_AVX512 static void im2col(float *bp, const float *x, int ci, int h, int w, int stride, int oy,
                              int ox0, int nc) {
    for (int c = 0; c < ci; c++) {
        const float *xc = x + (size_t)c * h * w;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = oy * stride - 1 + ky;
            for (int kx = 0; kx < 3; kx++) {
                float *dst = bp + ((size_t)c * 9 + ky * 3 + kx) * 32;
                if (iy < 0 || iy >= h) {
                    _mm512_store_ps(dst, _mm512_setzero_ps());
                    _mm512_store_ps(dst + 16, _mm512_setzero_ps());
                    continue;
                }
                const float *row = xc + (size_t)iy * w;
                if (stride == 1) {
                    /* lane j reads row[ox0 - 1 + kx + j] when 0 <= that < w and j < nc */
                    const int first = ox0 - 1 + kx;
                    int jlo = -first > 0 ? -first : 0, jhi = w - first < nc ? w - first : nc;
                    uint32_t m = jhi > jlo ? (uint32_t)((((uint64_t)1 << jhi) - 1) &
                                                        ~(((uint64_t)1 << jlo) - 1))
                                           : 0;
                    const float *src = row + first;
                    _mm512_store_ps(dst, _mm512_maskz_loadu_ps((__mmask16)m, src));
                    _mm512_store_ps(dst + 16,
                                    _mm512_maskz_loadu_ps((__mmask16)(m >> 16), src + 16));
                } else {
                    for (int j = 0; j < 32; j++) {
                        const int ix = (ox0 + j) * stride - 1 + kx;
                        dst[j] = j < nc && ix >= 0 && ix < w ? row[ix] : 0.0f;
                    }
                }
            }
        }
    }
}

/* All pixels for m weight rows a [m][ci*9] (F32) into y [m][oh][ow]. */
static void conv_rows(float *y, const float *x, const float *a, const float *b, int m, int ci,
                      int h, int w_, int stride, float *bp, int oy0, int oy1) {
    const int oh = (h - 1) / stride + 1, ow = (w_ - 1) / stride + 1, K = ci * 9;
    const size_t plane = (size_t)oh * ow;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox0 = 0; ox0 < ow; ox0 += 32) {
            const int nc = ow - ox0 < 32 ? ow - ox0 : 32;
            im2col(bp, x, ci, h, w_, stride, oy, ox0, nc);
            mdm_gemm_panel_avx512(y + (size_t)oy * ow + ox0, plane, a, (size_t)K, bp, K, m, nc,
                                  NULL, b);
        }
}

void mdm_conv2d_avx512(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                       int co, int h, int w_, int stride, void *ws, int oy0, int oy1) {
    const int K = ci * 9;
    float *bp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    float *rows = bp + (size_t)K * 32;
    if (w->type == MDM_TYPE_F32) {
        conv_rows(y, x, w->data, b, co, ci, h, w_, stride, bp, oy0, oy1);
        return;
    }
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
    for (int r = 0; r < co; r++)
        mdm_dequantize_row(w->type, (const unsigned char *)w->data + (size_t)r * rb,
                           rows + (size_t)r * K, (size_t)K);
    conv_rows(y, x, rows, b, co, ci, h, w_, stride, bp, oy0, oy1);
}
#endif
