/* The image VAE (spec §5, docs/MODEL.md): encoder and decoder are lists of
 * blocks that this module interprets, so one runtime runs VAEs of any width
 * and depth.  Feature maps are planar [C][H][W] floats. */
#ifndef MDM_VAE_VAE_H
#define MDM_VAE_VAE_H
#include "arena.h"
#include "model/model.h"

struct mdm_exec;
struct mdm_progress;

/* Scratch of either direction.  Feature maps live in one buffer: the
 * current map at one end, the next one written at the other, so the buffer
 * holds the largest input + output pair of any block, not two of the
 * largest map (a 64x256x256 map beside its 64x128x128 input, not beside
 * another 64x256x256); a block that halves the size and doubles the channels,
 * or the opposite, keeps its small map inside the large one when the two do
 * not fit side by side ("paired", blocks.c), so it needs only the larger.
 * Residual blocks run in place, and upsampling blocks
 * and residual blocks run band by band (the upsampled input, or SiLU of the
 * input, made one band of a few rows at a time; the output band copied or
 * added into place; a residual block's inner map exists one band at a time
 * too, its two overlap rows carried to the next band).  A band's
 * convolution computes each output value from the same inputs in the same
 * order as a whole-map one, so the bits do not depend on the band height.
 * Plus one dequantized weight row. */
typedef struct {
    float *maps;                     /* the input goes at its start */
    float *band_in, *band_out, *band_h, *carry;
    float *row;
    size_t maps_floats;              /* capacity of the map buffer */
    size_t band_in_floats, band_out_floats, band_h_floats;
    int band_rows;                   /* output rows per band */
    const struct mdm_exec *ex; /* kernels and threads (kernels/ops.h); NULL (as carved): reference */
    const struct mdm_progress *progress; /* after each block (progress.h); NULL as carved */
} mdm_vae_work;

/* Sized for both the encoder and the decoder of m. */
void mdm_vae_work_carve(mdm_arena *a, const mdm_model *m, mdm_vae_work *w);

/* Runs a block list on the feature map at w->maps of shape (*c, *h, *w_);
 * on return *out points to the result (inside w->maps) and the shape is
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
