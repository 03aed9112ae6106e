/* The one kernel interface.  src/kernels/ref/ holds the scalar reference
 * implementations: readable, always compiled, and the oracle that every
 * faster kernel set is tested against.
 *
 * Layouts: token activations are row-major [T][d] (one row per token);
 * images and VAE feature maps are [C][H][W].  Weights are mdm_tensor views
 * (src/model/model.h): a linear weight has ne = {in, out}, one row per
 * output, of type F32, F16, Q8_0 or Q4_0. */
#ifndef MDM_KERNELS_KERNELS_H
#define MDM_KERNELS_KERNELS_H
#include <stddef.h>
#include "model/model.h"

/* y[t][o] = sum_i x[t][i] * W[o][i] + (bias ? bias[o] : 0), for T tokens.
 * x has W->ne[0] columns, y has W->ne[1]; y must not alias x.
 * scratch: at least W->ne[0] floats (a dequantized weight row). */
void mdm_matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                float *scratch);

/* y = x / sqrt(mean(x^2) + eps) * w, per row of d values (y may alias x). */
void mdm_rmsnorm(float *y, const float *x, const float *w, int T, int d, float eps);

/* Causal depthwise conv1d with bias, zero history: x, y [T][di], w [di][K]
 * (PyTorch conv1d.weight [di,1,K]); y[t][c] = b[c] + sum_k w[c][k] x[t-K+1+k][c].
 * y must not alias x. */
void mdm_conv1d_causal(float *y, const float *x, const float *w, const float *b, int T, int di,
                       int K);

/* Selective scan (spec §3 step 5) over T steps.  x, delta, y: [T][di];
 * A: [di][N] (already -exp(A_log)); B, C: row t starts at B + t*ld_bc (N values);
 * D: [di]; h: di*N floats of scratch (state, zeroed here).  y may alias x. */
void mdm_selective_scan(float *y, const float *x, const float *delta, const float *A,
                        const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                        int N, float *h);

void mdm_silu(float *x, size_t n);     /* x * sigmoid(x), in place */
void mdm_softplus(float *x, size_t n); /* log(1 + e^x); x for x > 20, in place */

/* 3x3 convolution, zero padding 1, stride 1 or 2, with bias: x [ci][h][w] ->
 * y [co][h/stride][w/stride] (output size as PyTorch: (h - 1) / stride + 1).
 * w: ne = {ci*9, co}, any weight type.  scratch: ci*9 floats. y must not alias x. */
void mdm_conv2d_3x3(float *y, const float *x, const mdm_tensor *w, const float *b, int ci, int co,
                    int h, int w_, int stride, float *scratch);

/* Nearest-neighbour x2: x [c][h][w] -> y [c][2h][2w]. */
void mdm_upsample2x(float *y, const float *x, int c, int h, int w);

/* GroupNorm over [c][hw] with `groups` groups, per-channel affine (y may alias x). */
void mdm_groupnorm(float *y, const float *x, const float *gamma, const float *beta, int c, int hw,
                   int groups, float eps);

#endif
