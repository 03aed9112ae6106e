/* The AVX2 F32 GEMM core (avx2.h): a 6 x 16 register tile (12 of the 16
 * ymm registers accumulate), B from a packed panel [K][16]; one FMA chain
 * per element, then its bias, so every row computes the same in any tile.
 * Ragged columns are stored through a small buffer (the scalar tail). */
#include "kernels/im2col.h"
#include "kernels/x86/avx2.h"
#include <string.h>

#if defined(__x86_64__)
#define MR 6

MDM_AVX2_INLINE void tile(int mr, float *c, size_t ldc, const float *a, size_t lda,
                          const float *bp, int K, int nc, const float *col_bias,
                          const float *row_bias) {
    __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++)
        acc0[i] = acc1[i] = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        const __m256 b0 = _mm256_load_ps(bp + (size_t)k * 16);
        const __m256 b1 = _mm256_load_ps(bp + (size_t)k * 16 + 8);
#pragma GCC unroll 6
        for (int i = 0; i < mr; i++) {
            const __m256 av = _mm256_broadcast_ss(a + (size_t)i * lda + k);
            acc0[i] = _mm256_fmadd_ps(av, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(av, b1, acc1[i]);
        }
    }
    if (nc == 16) { /* a whole tile: bias added and stored by vectors */
        const __m256 cb0 = col_bias ? _mm256_loadu_ps(col_bias) : _mm256_setzero_ps();
        const __m256 cb1 = col_bias ? _mm256_loadu_ps(col_bias + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
        for (int i = 0; i < mr; i++) {
            const __m256 rb = row_bias ? _mm256_set1_ps(row_bias[i]) : _mm256_setzero_ps();
            _mm256_storeu_ps(c + (size_t)i * ldc, _mm256_add_ps(acc0[i], col_bias ? cb0 : rb));
            _mm256_storeu_ps(c + (size_t)i * ldc + 8,
                             _mm256_add_ps(acc1[i], col_bias ? cb1 : rb));
        }
        return;
    }
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++) {
        float out[16];
        _mm256_storeu_ps(out, acc0[i]);
        _mm256_storeu_ps(out + 8, acc1[i]);
        float *ci = c + (size_t)i * ldc;
        for (int j = 0; j < nc; j++)
            ci[j] = out[j] + (col_bias ? col_bias[j] : row_bias ? row_bias[i] : 0.0f);
    }
}

MDM_AVX2 void mdm_gemm_panel_avx2(float *c, size_t ldc, const float *a, size_t lda,
                                  const float *bp, int K, int M, int nc, const float *col_bias,
                                  const float *row_bias) {
    int i = 0;
    for (; i + MR <= M; i += MR)
        tile(MR, c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, bp, K, nc, col_bias,
             row_bias ? row_bias + i : NULL);
    for (; i < M; i++) /* ragged rows, one at a time */
        tile(1, c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, bp, K, nc, col_bias,
             row_bias ? row_bias + i : NULL);
}

/* Rows o0 .. o0 + nr - 1 of w as F32 (in place for F32, else decoded into
 * tmp), transposed into bp [K][16] with zeros past nr. */
MDM_AVX2 static void pack_panel(float *bp, const mdm_tensor *w, int o0, int nr, int K,
                                float *tmp) {
    const float *rows = (const float *)w->data + (size_t)o0 * K;
    if (w->type != MDM_TYPE_F32) {
        const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
        for (int j = 0; j < nr; j++) {
            const void *src = (const unsigned char *)w->data + (size_t)(o0 + j) * rb;
            float *dst = tmp + (size_t)j * K;
            if (w->type == MDM_TYPE_F16) {
                const uint16_t *hsrc = src;
                int i = 0;
                for (; i + 8 <= K; i += 8)
                    _mm256_storeu_ps(dst + i,
                                     _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(hsrc + i))));
                for (; i < K; i++)
                    dst[i] = mdm_f16_to_f32(hsrc[i]);
            } else {
                mdm_dequantize_row(w->type, src, dst, (size_t)K);
            }
        }
        rows = tmp;
    }
    for (int k = 0; k < K; k++)
        for (int j = 0; j < 16; j++)
            bp[(size_t)k * 16 + j] = j < nr ? rows[(size_t)j * K + k] : 0.0f;
}

/* softplus on columns [0, nr) of T rows of stride ld, nr <= 16. */
MDM_AVX2 static void softplus_cols(float *y, size_t ld, int T, int nr) {
    int t0 = 0;
    if (nr == 16) /* two rows' two vectors in lockstep (lockstep.h) */
        for (; t0 + 2 <= T; t0 += 2) {
            __m256 v[4];
            MDM_EACH(j, 4) v[j] = _mm256_loadu_ps(y + (size_t)(t0 + j / 2) * ld + 8 * (j % 2));
            mdm_softplus256_k(v, 4);
            MDM_EACH(j, 4) _mm256_storeu_ps(y + (size_t)(t0 + j / 2) * ld + 8 * (j % 2), v[j]);
        }
    for (int t = t0; t < T; t++) {
        float *r = y + (size_t)t * ld;
        int j = 0;
        for (; j + 8 <= nr; j += 8)
            _mm256_storeu_ps(r + j, mdm_softplus256(_mm256_loadu_ps(r + j)));
        if (j < nr) {
            float pad[8] = {0};
            memcpy(pad, r + j, (size_t)(nr - j) * sizeof(float));
            _mm256_storeu_ps(pad, mdm_softplus256(_mm256_loadu_ps(pad)));
            memcpy(r + j, pad, (size_t)(nr - j) * sizeof(float));
        }
    }
}

/* y = x W^T (+ bias) by 16-column panels; with softplus, each panel gets
 * its softplus right after the GEMM core wrote it, while it is in L1/L2
 * (dispatch.h's matmul_softplus): the bits of the plain matmul followed by
 * mdm_softplus_avx2, as softplus is per lane. */
static void matmul_panels(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                          void *ws, int softplus) {
    const int K = (int)w->ne[0], out = (int)w->ne[1];
    float *bp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63), *tmp = bp + (size_t)K * 16;
    for (int o = 0; o < out; o += 16) {
        const int nr = out - o < 16 ? out - o : 16;
        pack_panel(bp, w, o, nr, K, tmp);
        mdm_gemm_panel_avx2(y + o, (size_t)out, x, (size_t)K, bp, K, T, nr, bias ? bias + o : NULL,
                            NULL);
        if (softplus)
            softplus_cols(y + o, (size_t)out, T, nr);
    }
}

void mdm_matmul_avx2(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                     void *ws) {
    matmul_panels(y, x, w, bias, T, ws, 0);
}

void mdm_matmul_softplus_avx2(float *y, const float *x, const mdm_tensor *w, const float *bias,
                              int T, void *ws) {
    matmul_panels(y, x, w, bias, T, ws, 1);
}

/* ---- 3x3 convolution: bounded im2col (16 pixels of a row) + the core ---- */

static void conv_rows(float *y, const float *x, const float *a, const float *b, int m, int ci,
                      int h, int w_, int stride, float *bp, int oy0, int oy1) {
    const int oh = (h - 1) / stride + 1, ow = (w_ - 1) / stride + 1, K = ci * 9;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox0 = 0; ox0 < ow; ox0 += 16) {
            const int nc = ow - ox0 < 16 ? ow - ox0 : 16;
            mdm_im2col_panel(bp, x, ci, h, w_, stride, oy, ox0, nc, 16);
            mdm_gemm_panel_avx2(y + (size_t)oy * ow + ox0, (size_t)oh * ow, a, (size_t)K, bp, K, m,
                                nc, NULL, b);
        }
}

void mdm_conv2d_avx2(float *y, const float *x, const mdm_tensor *w, const float *b, int ci, int co,
                     int h, int w_, int stride, void *ws, int oy0, int oy1) {
    const int K = ci * 9, rows_max = 48;
    const size_t plane = (size_t)((h - 1) / stride + 1) * (size_t)((w_ - 1) / stride + 1);
    float *bp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63), *rows = bp + (size_t)K * 16;
    if (w->type == MDM_TYPE_F32) {
        conv_rows(y, x, w->data, b, co, ci, h, w_, stride, bp, oy0, oy1);
        return;
    }
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
    for (int o0 = 0; o0 < co; o0 += rows_max) {
        const int nr = co - o0 < rows_max ? co - o0 : rows_max;
        for (int r = 0; r < nr; r++)
            mdm_dequantize_row(w->type, (const unsigned char *)w->data + (size_t)(o0 + r) * rb,
                               rows + (size_t)r * K, (size_t)K);
        conv_rows(y + (size_t)o0 * plane, x, rows, b ? b + o0 : NULL, nr, ci, h, w_, stride, bp,
                  oy0, oy1);
    }
}
#endif
