/* e^x in float without a libm call, for the dsp set (Cortex-M4/M7, where
 * newlib's expf is 60-odd instructions and was a sixth of all): the scalar
 * twin of helium_math.h's vector exp.  x = n ln2 + r with ln2 in two parts
 * (n * 0.693359375 is exact, so r is too), e^r = 1 + r + r^2 P(r) with
 * Cephes' degree-5 minimax P, 2^n by the exponent bits.  Within 2 ulp of
 * expf on (-87.3, 88.3] (tests/test_kernels.c measures 1); 0 from
 * -87.3 (expf: a denormal under 1.2e-38), e^88.3 above; NaN stays NaN. */
#ifndef MDM_KERNELS_FASTEXP_H
#define MDM_KERNELS_FASTEXP_H
#include <stdint.h>
#include <string.h>

static inline float mdm_exp_fast(float x) {
    if (!(x > -87.3f))
        return x != x ? x : 0.0f;
    x = x < 88.3f ? x : 88.3f;
    const float t = x * 1.44269504f;
    const int n = (int)(t + (t < 0.0f ? -0.5f : 0.5f)); /* in [-126, 127] */
    const float nf = (float)n;
    float r = x - nf * 0.693359375f;
    r = r + nf * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e = (r + 1.0f) + p * (r * r);
    const uint32_t bits = (uint32_t)(n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return e * scale;
}
#endif
