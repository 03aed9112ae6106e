/* The Mamba-1 (S6) block with scan switching (spec §3). */
#ifndef MDM_MAMBA_MAMBA_H
#define MDM_MAMBA_MAMBA_H
#include <stdint.h>
#include "arena.h"
#include "model/model.h"

struct mdm_exec;

/* perm[k] = the canonical position scanned k-th under scan order `order`
 * (0..3): the prefix (3 tokens) first, then
 *   0: text forward, image row-major      1: text forward, image column-major
 *   2: image row-major reversed, text reversed
 *   3: image column-major reversed, text reversed.
 * perm holds hp->seq_len entries.  Returns 0 for an unknown order. */
int mdm_scan_permutation(const mdm_hparams *hp, int order, int32_t *perm);

/* Scratch of one block over one sequence of S = seq_len tokens. */
typedef struct {
    float *u;     /* [S][d]      normed input, in scan order */
    float *xs;    /* [S][di]     x half of in_proj */
    float *z;     /* [S][di]     z half of in_proj (the gate) */
    float *xc;    /* [S][di]     SiLU(conv1d(x)); then y in place */
    float *dt_in; /* [S][R]      first R outputs of x_proj */
    float *bc;    /* [S][2N]     B then C, per token */
    float *delta; /* [S][di]     softplus(dt_proj(dt_in)) */
    float *out;   /* [S][d]      out_proj */
    float *h;     /* [di][N]     scan state */
    float *row;   /* max(d, di, R) floats: a dequantized weight row */
    const struct mdm_exec *ex; /* kernels and threads (kernels/ops.h); NULL: reference */
} mdm_mamba_work;

/* Carves the work from the arena's scratch end (measures when it measures). */
void mdm_mamba_work_carve(mdm_arena *a, const mdm_hparams *hp, mdm_mamba_work *w);

/* x <- x + P^T mixer(P RMSNorm(x)) for x [S][d] (canonical order).
 * A is the layer's -exp(A_log), [di][N]; perm from mdm_scan_permutation. */
void mdm_mamba_block(const mdm_hparams *hp, const mdm_layer *layer, const float *A,
                     const int32_t *perm, float *x, mdm_mamba_work *w);

/* The same on w->ex's kernel set and threads in four pool runs
 * (block_par.c); mdm_mamba_block calls it when w->ex is set. */
void mdm_mamba_block_exec(const mdm_hparams *hp, const mdm_layer *layer, const float *A,
                          const int32_t *perm, float *x, mdm_mamba_work *w);

/* Rows [first, first + n) of a weight [out][in], as a tensor of its own:
 * in_proj and x_proj are each used as two matrices, so that their outputs
 * land in contiguous buffers with no copy. */
mdm_tensor mdm_weight_rows(const mdm_tensor *w, int64_t first, int64_t n);

/* A = -exp(A_log) for one layer ([di][N] floats), done once per context. */
void mdm_mamba_prepare_A(const mdm_hparams *hp, const mdm_layer *layer, float *A);

#endif
