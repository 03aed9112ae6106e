/* PCG32 (O'Neill's pcg32_random_r) and the draws of spec §6, bit-exact with
 * tools/reference/mdm_ref/pcg32.py.  The state is the caller's: no globals. */
#ifndef MDM_SAMPLE_PCG32_H
#define MDM_SAMPLE_PCG32_H
#include <stddef.h>
#include <stdint.h>

/* Streams the project uses (docs/MODEL.md); seed of sample k is seed + k. */
#define MDM_STREAM_IMAGE_NOISE 1
#define MDM_STREAM_TEXT 2

typedef struct {
    uint64_t state, inc;
} mdm_pcg32;

/* pcg32_srandom_r(seed, stream). */
void mdm_pcg32_seed(mdm_pcg32 *r, uint64_t seed, uint64_t stream);
uint32_t mdm_pcg32_next(mdm_pcg32 *r);
/* (r >> 8) * 2^-24: in [0, 1), exact in float and double. */
double mdm_pcg32_uniform(mdm_pcg32 *r);
/* n standard normals, Box-Muller on pairs (u1 = 1 - u, u2): cos, then sin.
 * In float (the reference: double, rounded to float; within a few ulp of
 * it): no soft-float double on a Cortex-M.  An odd n still consumes a
 * whole pair. */
void mdm_pcg32_normals(mdm_pcg32 *r, float *out, size_t n);
/* n Gumbel(0,1) draws -log(-log(u)), u clamped to [1e-10, 1), in float
 * (the reference: double; u is exact in both). */
void mdm_pcg32_gumbels(mdm_pcg32 *r, float *out, size_t n);
#endif
