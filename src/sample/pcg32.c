/* PCG32 XSH-RR, as pcg32.py (which follows the reference pcg_basic.c). */
#include "sample/pcg32.h"
#include <math.h>

#define PCG_MULT 6364136223846793005ull
#define TWO_PI_F 6.28318531f /* 2 math.pi rounded to float; M_PI is not C11 */

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

/* (r >> 8) * 2^-24 in float: exact, as the double. */
static float uniform_f(mdm_pcg32 *r) {
    return (float)(mdm_pcg32_next(r) >> 8) * (1.0f / 16777216.0f);
}

void mdm_pcg32_normals(mdm_pcg32 *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i += 2) {
        const float u1 = 1.0f - uniform_f(r); /* in (0, 1], exact: log is finite */
        const float u2 = uniform_f(r);
        const float rad = sqrtf(-2.0f * logf(u1)), a = TWO_PI_F * u2;
        out[i] = rad * cosf(a);
        if (i + 1 < n)
            out[i + 1] = rad * sinf(a);
    }
}

void mdm_pcg32_gumbels(mdm_pcg32 *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float u = uniform_f(r); /* 0 is the only value below 1e-10; 1 - 2^-24 the largest */
        u = u < 1e-10f ? 1e-10f : u;
        out[i] = -logf(-logf(u));
    }
}
