/* Reference GroupNorm (biased variance, as PyTorch).  The statistics are
 * summed in double: a group spans (c/groups)*h*w values, up to millions for
 * large images, and the oracle must not lose digits there. */
#include "kernels/kernels.h"
#include <math.h>

void mdm_groupnorm(float *y, const float *x, const float *gamma, const float *beta, int c, int hw,
                   int groups, float eps) {
    const int cg = c / groups;
    const size_t n = (size_t)cg * hw;
    for (int g = 0; g < groups; g++) {
        const float *xg = x + (size_t)g * n;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += xg[i];
        const double mean = sum / (double)n;
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (xg[i] - mean) * (xg[i] - mean);
        const float m = (float)mean, r = (float)(1.0 / sqrt(ss / (double)n + eps));
        /* Each value is read once then written in place, so y may alias x. */
        for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
            const size_t off = (size_t)ch * hw;
            for (int i = 0; i < hw; i++)
                y[off + i] = (x[off + i] - m) * r * gamma[ch] + beta[ch];
        }
    }
}
