/* The context behind mdm_ctx (mdm_rt.h) and the scratch layouts its calls
 * carve, shared by context.c (which sizes them), lowlevel.c and task.c. */
#ifndef MDM_CONTEXT_H
#define MDM_CONTEXT_H
#include "arena.h"
#include "denoiser.h"
#include "kernels/ops.h"
#include "mdm_rt.h"
#include "progress.h"
#include "text/spm.h"
#include "vae/vae.h"

struct mdm_ctx {
    const mdm_model *m;
    mdm_ctx_params params;
    mdm_arena arena;   /* persistent part fixed at creation; scratch per call */
    void *owned;       /* the buffer mdm_ctx_create allocated, or NULL */
    mdm_spm *spm;
    mdm_denoiser dn;
    mdm_exec ex;       /* kernel set, thread pool and per-thread workspaces */
    size_t text_cap;   /* mdm_ctx_text_cap */
    size_t scratch_plan; /* scratch bytes reserved at the top */
    size_t size;         /* the whole buffer */
    mdm_progress progress; /* inside encode, decode, forward (mdm_ctx_set_progress) */
    struct mdm_ocl *ocl; /* the OpenCL device (src/device.h), or NULL: the CPU */
    char device[192];    /* mdm_ctx_device */
};

/* Scratch of one VAE call: the image as planar floats, and the VAE's maps. */
typedef struct {
    float *image; /* [C][H][W]; big enough for a latent too */
    mdm_vae_work vae;
} mdm_vae_call;

/* Scratch of one tokenization. */
typedef struct {
    void *work;
    size_t work_size;
    int32_t *ids; /* text_len entries */
} mdm_tok_call;

/* What a task keeps while it calls the denoiser, the VAE or the tokenizer. */
typedef struct {
    int32_t *tokens;       /* [2][Lt]: conditional, unconditional (CFG) */
    unsigned char *frozen; /* [Lt] */
    float *x;              /* [n] latent, n = c*h*w */
    float *v;              /* [2][n] velocities: conditional, unconditional */
    float *heun;           /* [2n] Heun scratch */
    float *text;           /* 2 Lt (V+1) + V + 1: scores, Gumbels, one row */
    double *grid, *tgrid;  /* MDM_MAX_STEPS + 1 each: image and text times */
} mdm_task_state;

/* H*W*C bytes of an image and c*h*w floats of a latent. */
static inline size_t mdm_pixel_count(const mdm_hparams *hp) {
    return (size_t)hp->image_channels * hp->image_size * hp->image_size;
}
static inline size_t mdm_latent_count(const mdm_hparams *hp) {
    return (size_t)hp->latent_channels * hp->latent_size * hp->latent_size;
}

void mdm_vae_call_carve(mdm_arena *a, const mdm_model *m, mdm_vae_call *c);
void mdm_tok_call_carve(mdm_arena *a, const mdm_hparams *hp, const mdm_ctx_params *p,
                        mdm_tok_call *c);
void mdm_task_state_carve(mdm_arena *a, const mdm_hparams *hp, mdm_task_state *s);

/* Internal forms of the public calls, on scratch the caller has carved or
 * that they carve above the caller's (for task.c). */
/* Encodes bytes (pixels non-NULL) or planar floats. */
mdm_status mdm_ctx_encode(mdm_ctx *ctx, const uint8_t *pixels, const float *planar,
                          float *latent);
mdm_status mdm_ctx_decode(mdm_ctx *ctx, const float *latent, uint8_t *pixels);
mdm_status mdm_ctx_forward(mdm_ctx *ctx, const mdm_den_io *io, int batch);

/* A line to the context's log hook (mdm_ctx_params.log), if any: formatted
 * on the stack, so it allocates nothing. */
void mdm_ctx_log(const mdm_ctx *ctx, mdm_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Caption as tokens [Lt] (what mdm_caption detokenizes). */
mdm_status mdm_task_caption(mdm_ctx *ctx, const uint8_t *pixels, const mdm_gen_params *p,
                            int32_t *tokens);

#endif
