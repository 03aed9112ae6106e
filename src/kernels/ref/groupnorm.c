/* Reference GroupNorm (biased variance, as PyTorch).  Single precision
 * throughout (a Cortex-M FPU has no double): a group spans (c/groups)*h*w
 * values, up to millions for large images, so the sums are taken in
 * blocks of 64 values, each block's float sum then added to the total:
 * the rounding error grows with 64 + n/64 additions instead of n. */
#include "kernels/kernels.h"
#include <math.h>

#define BLOCK 64

/* sum of x[i] - m (squared when sq) over n values, blockwise */
static float block_sum(const float *x, size_t n, float m, int sq) {
    float total = 0.0f;
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        const size_t i1 = n - i0 < BLOCK ? n : i0 + BLOCK;
        float s = 0.0f;
        for (size_t i = i0; i < i1; i++) {
            const float d = x[i] - m;
            s += sq ? d * d : d;
        }
        total += s;
    }
    return total;
}

void mdm_groupnorm(float *y, const float *x, const float *gamma, const float *beta, int c, int hw,
                   int groups, float eps) {
    const int cg = c / groups;
    const size_t n = (size_t)cg * hw;
    for (int g = 0; g < groups; g++) {
        const float *xg = x + (size_t)g * n;
        /* the mean of the deviations from the first value, added back:
         * a large common offset does not cost digits */
        const float x0 = xg[0];
        const float m = x0 + block_sum(xg, n, x0, 0) / (float)n;
        const float var = block_sum(xg, n, m, 1) / (float)n;
        const float r = 1.0f / sqrtf(var + eps);
        /* Each value is read once then written in place, so y may alias x. */
        for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
            const size_t off = (size_t)ch * hw;
            for (int i = 0; i < hw; i++)
                y[off + i] = (x[off + i] - m) * r * gamma[ch] + beta[ch];
        }
    }
}
