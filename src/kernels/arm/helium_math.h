/* Vector math for the helium set (Cortex-M55/M85, MVE with floating
 * point), four lanes at a time, for the scan's e^(dt A) and the SiLU and
 * softplus of the denoiser and the VAE, where newlib's expf (40-60
 * instructions a call) was a sixth of all instructions per image.
 *
 * mdm_exp4_mve: e^x by x = n ln2 + r, |r| <= ln2/2 (ln2 in two parts, so
 * r is exact to float), e^r = 1 + r + r^2 P(r) with Cephes' degree-5
 * minimax P, and 2^n by the exponent bits.  Within 2 ulp of expf for x in
 * [-87.3, 88.3] (ports/cortex-m/kcheck.c measures it on the board); below
 * -87.3 it gives 0 (expf: a denormal under 1.2e-38), above 88.3 e^88.3.
 * NaN is not propagated (vmaxnm takes the number). */
#ifndef MDM_KERNELS_ARM_HELIUM_MATH_H
#define MDM_KERNELS_ARM_HELIUM_MATH_H
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>

static inline float32x4_t mdm_exp4_mve(float32x4_t x) {
    const mve_pred16_t under = vcmpltq_n_f32(x, -87.3f);
    x = vminnmq_f32(vmaxnmq_f32(x, vdupq_n_f32(-87.3f)), vdupq_n_f32(88.3f));
    const int32x4_t n = vcvtnq_s32_f32(vmulq_n_f32(x, 1.44269504f)); /* in [-126, 127] */
    const float32x4_t nf = vcvtq_f32_s32(n);
    float32x4_t r = vfmaq_n_f32(x, nf, -0.693359375f);
    r = vfmaq_n_f32(r, nf, 2.12194440e-4f);
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmasq_n_f32(p, r, 1.3981999507e-3f);
    p = vfmasq_n_f32(p, r, 8.3334519073e-3f);
    p = vfmasq_n_f32(p, r, 4.1665795894e-2f);
    p = vfmasq_n_f32(p, r, 1.6666665459e-1f);
    p = vfmasq_n_f32(p, r, 5.0000001201e-1f);
    const float32x4_t e = vfmaq_f32(vaddq_n_f32(r, 1.0f), p, vmulq_f32(r, r));
    const int32x4_t scale = vshlq_n_s32(vaddq_n_s32(n, 127), 23);
    return vpselq_f32(vdupq_n_f32(0.0f), vmulq_f32(e, vreinterpretq_f32_s32(scale)), under);
}

/* 1 / d for d >= 1 (finite): a bit-trick guess within 12%, then three
 * Newton steps r (2 - d r): within 2 ulp.  (MVE has no divide and no
 * reciprocal estimate.) */
static inline float32x4_t mdm_recip4_mve(float32x4_t d) {
    float32x4_t r = vreinterpretq_f32_s32(
        vsubq_s32(vdupq_n_s32(0x7EF311C7), vreinterpretq_s32_f32(d)));
    for (int i = 0; i < 3; i++)
        r = vmulq_f32(r, vfmsq_f32(vdupq_n_f32(2.0f), d, r));
    return r;
}

/* log(1 + u) for u in [0, 1]: w = 1 + u split into 2^e m, m in
 * [sqrt(1/2), sqrt(2)), log m by Cephes' logf polynomial in m - 1, plus
 * the rounding of w, u - (w - 1) (exact), which is log1p's first-order
 * correction: within 2 ulp, and u itself where w rounds to 1. */
static inline float32x4_t mdm_log1p_unit4_mve(float32x4_t u) {
    const float32x4_t w = vaddq_n_f32(u, 1.0f);
    const int32x4_t bits = vreinterpretq_s32_f32(w);
    int32x4_t e = vsubq_s32(vshrq_n_s32(bits, 23), vdupq_n_s32(127)); /* 0 or 1 */
    float32x4_t m = vreinterpretq_f32_s32(
        vorrq_s32(vandq_s32(bits, vdupq_n_s32(0x007FFFFF)), vdupq_n_s32(0x3F800000)));
    const mve_pred16_t big = vcmpgtq_n_f32(m, 1.41421356f);
    m = vpselq_f32(vmulq_n_f32(m, 0.5f), m, big);
    e = vpselq_s32(vaddq_n_s32(e, 1), e, big);
    const float32x4_t f = vsubq_n_f32(m, 1.0f), z = vmulq_f32(f, f);
    float32x4_t p = vdupq_n_f32(7.0376836292e-2f);
    p = vfmasq_n_f32(p, f, -1.1514610310e-1f);
    p = vfmasq_n_f32(p, f, 1.1676998740e-1f);
    p = vfmasq_n_f32(p, f, -1.2420140846e-1f);
    p = vfmasq_n_f32(p, f, 1.4249322787e-1f);
    p = vfmasq_n_f32(p, f, -1.6668057665e-1f);
    p = vfmasq_n_f32(p, f, 2.0000714765e-1f);
    p = vfmasq_n_f32(p, f, -2.4999993993e-1f);
    p = vfmasq_n_f32(p, f, 3.3333331174e-1f);
    const float32x4_t ef = vcvtq_f32_s32(e);
    float32x4_t y = vmulq_f32(vmulq_f32(p, f), z);
    y = vfmaq_n_f32(y, ef, -2.12194440e-4f);
    y = vfmaq_n_f32(y, z, -0.5f);
    float32x4_t lg = vaddq_f32(f, y);
    lg = vfmaq_n_f32(lg, ef, 0.693359375f);
    return vaddq_f32(lg, vsubq_f32(u, vsubq_n_f32(w, 1.0f)));
}

/* x / (1 + e^-x) */
static inline float32x4_t mdm_silu4_mve(float32x4_t x) {
    return vmulq_f32(x, mdm_recip4_mve(vaddq_n_f32(mdm_exp4_mve(vnegq_f32(x)), 1.0f)));
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|); x itself above 20, as torch. */
static inline float32x4_t mdm_softplus4_mve(float32x4_t x) {
    const float32x4_t r = vaddq_f32(vmaxnmq_f32(x, vdupq_n_f32(0.0f)),
                                    mdm_log1p_unit4_mve(mdm_exp4_mve(vnegq_f32(vabsq_f32(x)))));
    return vpselq_f32(x, r, vcmpgtq_n_f32(x, 20.0f));
}
#endif
#endif
