/* Bounded im2col for the 3x3 convolutions (zero padding 1) of the SIMD sets
 * that run them as a GEMM: the [ci*9][width] panel of output row oy,
 * columns ox0 .. ox0 + nc - 1 (lanes from nc on are zero).  Plain C, shared
 * by the AVX2 (width 16) and NEON (width 8) sets; AVX-512 builds its panel
 * with masked loads instead (x86/conv2d.c). */
#ifndef MDM_KERNELS_IM2COL_H
#define MDM_KERNELS_IM2COL_H
#include <stddef.h>

static inline void mdm_im2col_panel(float *bp, const float *x, int ci, int h, int w, int stride,
                                    int oy, int ox0, int nc, int width) {
    for (int c = 0; c < ci; c++)
        for (int ky = 0; ky < 3; ky++) {
            const int iy = oy * stride - 1 + ky;
            const float *row = x + ((size_t)c * h + (iy < 0 ? 0 : iy)) * w;
            for (int kx = 0; kx < 3; kx++) {
                float *dst = bp + ((size_t)c * 9 + ky * 3 + kx) * (size_t)width;
                for (int j = 0; j < width; j++) {
                    const int ix = (ox0 + j) * stride - 1 + kx;
                    dst[j] = j < nc && iy >= 0 && iy < h && ix >= 0 && ix < w ? row[ix] : 0.0f;
                }
            }
        }
}
#endif
