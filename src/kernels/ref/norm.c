/* Reference RMSNorm, as the reference's x * rsqrt(mean(x^2) + eps) * w. */
#include "kernels/kernels.h"
#include <math.h>

void mdm_rmsnorm(float *y, const float *x, const float *w, int T, int d, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * d;
        float *yt = y + (size_t)t * d;
        float ss = 0.0f;
        for (int i = 0; i < d; i++)
            ss += xt[i] * xt[i];
        /* The whole row is read before any write, so y may alias x. */
        const float r = 1.0f / sqrtf(ss / (float)d + eps);
        for (int i = 0; i < d; i++)
            yt[i] = xt[i] * r * w[i];
    }
}
