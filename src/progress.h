/* Progress and cancellation inside one VAE or denoiser call: the context's
 * callback (mdm_ctx_params.progress), called after each VAE block or
 * denoiser layer.  The carves leave it NULL (never called). */
#ifndef MDM_PROGRESS_H
#define MDM_PROGRESS_H
#include "mdm_rt.h"

typedef struct mdm_progress {
    mdm_progress_fn fn; /* NULL: none */
    void *user;
} mdm_progress;

/* Reports step of total; MDM_ERR_CANCELLED when the callback asks to stop. */
static inline mdm_status mdm_progress_report(const mdm_progress *p, int step, int total) {
    return p && p->fn && p->fn(p->user, step, total) ? MDM_ERR_CANCELLED : MDM_OK;
}
#endif
