/* The ARM NEON kernels (AArch64 and 32-bit ARMv7 NEON): the reference
 * kernels' contracts (kernels.h, dispatch.h) with NEON bodies and scalar
 * tails.  Chosen by compile flags: a build for a NEON target has them; the
 * int8 matmul needs the dot-product extension (__ARM_FEATURE_DOTPROD, sdot),
 * else quantized weights are decoded to F32 panels. */
#ifndef MDM_KERNELS_ARM_H
#define MDM_KERNELS_ARM_H
#include "kernels/dispatch.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>

void mdm_matmul_neon(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                     void *ws);
void mdm_scan_neon(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                   int c0, int c1);
void mdm_conv2d_neon(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                     int co, int h, int w_, int stride, void *ws,
                       int oy0, int oy1);

/* C[i][j] = sum_k A[i][k] bp[k][j] (+ bias), i < M, j < nc <= 8; bp is a
 * packed panel [K][8]. */
void mdm_gemm_panel_neon(float *c, size_t ldc, const float *a, size_t lda, const float *bp, int K,
                         int M, int nc, const float *col_bias, const float *row_bias);

/* acc + a * b, fused where the FPU has it. */
static inline float32x4_t mdm_fma4(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
    return vfmaq_f32(acc, a, b);
#else
    return vmlaq_f32(acc, a, b);
#endif
}

/* e^x for 4 lanes, x clamped to [-87, 88] (below, a result < 2^-125
 * instead of the denormal or 0). */
static inline float32x4_t mdm_exp4(float32x4_t x) {
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.0f)), vdupq_n_f32(88.0f));
    float32x4_t t = vmulq_f32(x, vdupq_n_f32(1.44269504f));
    /* round to nearest: add +-0.5 and truncate */
    uint32x4_t neg = vcltq_f32(t, vdupq_n_f32(0.0f));
    float32x4_t half = vbslq_f32(neg, vdupq_n_f32(-0.5f), vdupq_n_f32(0.5f));
    int32x4_t n = vcvtq_s32_f32(vaddq_f32(t, half));
    float32x4_t nf = vcvtq_f32_s32(n);
    float32x4_t r = mdm_fma4(x, nf, vdupq_n_f32(-0.693359375f));
    r = mdm_fma4(r, nf, vdupq_n_f32(2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.0f / 720.0f);
    p = mdm_fma4(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = mdm_fma4(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = mdm_fma4(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = mdm_fma4(vdupq_n_f32(0.5f), p, r);
    p = mdm_fma4(vdupq_n_f32(1.0f), p, r);
    p = mdm_fma4(vdupq_n_f32(1.0f), p, r);
    /* 2^n by the exponent bits; n in [-126, 127] after the clamp */
    int32x4_t e = vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

/* Sum of the 4 lanes. */
static inline float mdm_hsum4(float32x4_t v) {
#if defined(__aarch64__)
    return vaddvq_f32(v);
#else
    float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpadd_f32(s, s), 0);
#endif
}
#endif
#endif
