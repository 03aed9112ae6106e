/* The image VAE (spec §5, docs/MODEL.md): encoder and decoder are lists of
 * blocks that this module interprets, so one runtime runs VAEs of any width
 * and depth.  Feature maps are planar [C][H][W] floats. */
#ifndef MDM_VAE_VAE_H
#define MDM_VAE_VAE_H
#include "arena.h"
#include "model/model.h"

struct mdm_exec;
struct mdm_progress;

/* Scratch of either direction: three feature maps of the largest size any
 * block reads, writes or passes through, and one dequantized weight row. */
typedef struct {
    float *map[3];
    float *row;
    size_t map_floats; /* capacity of each map */
    const struct mdm_exec *ex; /* kernels and threads (kernels/ops.h); NULL (as carved): reference */
    const struct mdm_progress *progress; /* after each block (progress.h); NULL as carved */
} mdm_vae_work;

/* Sized for both the encoder and the decoder of m. */
void mdm_vae_work_carve(mdm_arena *a, const mdm_model *m, mdm_vae_work *w);

/* Runs a block list on the feature map in w->map[0] of shape (*c, *h, *w_);
 * on return *out points to the result (one of w->map) and the shape is
 * updated.  MDM_ERR_INTERNAL if a block does not chain (the loader checks
 * the lists, so this is a guard, not a path); MDM_ERR_CANCELLED when
 * w->progress asks to stop after a block. */
mdm_status mdm_vae_run(const mdm_vae_stack *s, float gn_eps, int *c, int *h, int *w_,
                       mdm_vae_work *w, float **out);

/* image [C][H][W] in [-1, 1] (model size) -> mu [c][h][w], and logvar when
 * not NULL (both unscaled: the caller multiplies mu by scaling_factor). */
mdm_status mdm_vae_encode(const mdm_model *m, const float *image, float *mu, float *logvar,
                          mdm_vae_work *w);

/* z [c][h][w] (already divided by scaling_factor) -> image [C][H][W], clamped
 * to [-1, 1].  image may alias z. */
mdm_status mdm_vae_decode(const mdm_model *m, const float *z, float *image, mdm_vae_work *w);

#endif
