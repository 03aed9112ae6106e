/* The MDM denoiser (spec §2-3): embeddings, the joint sequence, the Mamba
 * stack with scan switching, norm_f and both heads, the text head through
 * SEDD's absorbing parameterisation (src/sample/sedd.h).  One sequence per call: a batch
 * is a loop in the caller. */
#ifndef MDM_DENOISER_H
#define MDM_DENOISER_H
#include "arena.h"
#include "mamba/mamba.h"
#include "model/model.h"

struct mdm_progress;

#define MDM_TIME_FEATURES 256

/* What the context keeps for the denoiser: derived once, read-only after. */
typedef struct {
    const mdm_model *m;
    float *A;         /* [n_layer][di][N]: -exp(A_log) of each layer */
    int32_t *perm[4]; /* scan order o -> seq_len indices (mdm_scan_permutation) */
} mdm_denoiser;

/* Per-call scratch of one forward. */
typedef struct {
    mdm_mamba_work blk;
    float *x;       /* [S][d] residual stream, canonical order */
    float *feat;    /* [256] sinusoidal time features */
    float *hid;     /* [d] time-MLP hidden layer */
    float *patches; /* [Ni][c*p*p] patchified latent, then the image head's output */
    float *row;     /* matmul scratch: max(256, d) floats */
    const struct mdm_exec *ex; /* kernels and threads (kernels/ops.h); NULL (as carved): reference */
    const struct mdm_progress *progress; /* after each layer (progress.h); NULL as carved */
    int progress_base, progress_total;   /* steps before this forward; of the whole call */
} mdm_den_work;

/* One forward: latent [c][h][w] (scaled), tokens [Lt] in 0..V (V = MASK),
 * times in [0, 1], task 0..3.  Outputs may be NULL: v [c][h][w] velocity,
 * s [Lt][V+1] log-scores. */
typedef struct {
    const float *latent;
    const int32_t *tokens;
    float t_image, t_text;
    int task;
    float *v, *s;
} mdm_den_io;

/* Persistent part, carved from a (measuring or real) arena.  MDM_OK, or
 * MDM_ERR_BUFFER_TOO_SMALL when the arena ran out. */
mdm_status mdm_denoiser_init(mdm_denoiser *dn, const mdm_model *m, mdm_arena *a);
void mdm_den_work_carve(mdm_arena *a, const mdm_hparams *hp, mdm_den_work *w);

/* Whether tokens, task and times of io are in range (a time in [0, 1]). */
int mdm_den_io_valid(const mdm_hparams *hp, const mdm_den_io *io);

/* MDM_ERR_INVALID_ARG when !mdm_den_io_valid (checked before any work). */
mdm_status mdm_denoiser_forward(const mdm_denoiser *dn, const mdm_den_io *io, mdm_den_work *w);

/* Sinusoidal features of 1000*t in float, as the reference computes them:
 * 128 cosines then 128 sines, frequencies exp(-ln(1e4) k / 128). */
void mdm_time_features(float t, float *feat);

/* A time token: features -> fc1 -> SiLU -> fc2, into out [d]. */
void mdm_time_embed(const mdm_time_mlp *mlp, float t, int d, float *out, mdm_den_work *w);

#endif
