/* PCG32 XSH-RR, as pcg32.py (which follows the reference pcg_basic.c). */
#include "sample/pcg32.h"
#include <math.h>

#define PCG_MULT 6364136223846793005ull
#define TWO_PI (2.0 * 3.14159265358979323846) /* math.pi; M_PI is not C11 */

uint32_t mdm_pcg32_next(mdm_pcg32 *r) {
    const uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    const uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    const uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

void mdm_pcg32_seed(mdm_pcg32 *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = stream << 1 | 1u;
    mdm_pcg32_next(r);
    r->state += seed;
    mdm_pcg32_next(r);
}

double mdm_pcg32_uniform(mdm_pcg32 *r) {
    return (double)(mdm_pcg32_next(r) >> 8) * (1.0 / 16777216.0);
}

void mdm_pcg32_normals(mdm_pcg32 *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i += 2) {
        const double u1 = 1.0 - mdm_pcg32_uniform(r); /* in (0, 1]: log is finite */
        const double u2 = mdm_pcg32_uniform(r);
        const double rad = sqrt(-2.0 * log(u1));
        out[i] = (float)(rad * cos(TWO_PI * u2));
        if (i + 1 < n)
            out[i + 1] = (float)(rad * sin(TWO_PI * u2));
    }
}

void mdm_pcg32_gumbels(mdm_pcg32 *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double u = mdm_pcg32_uniform(r);
        u = fmin(fmax(u, 1e-10), 1.0 - 1.0 / 16777216.0);
        out[i] = (float)-log(-log(u));
    }
}
