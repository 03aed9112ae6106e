/* VAE encoder: image -> (mu, logvar); the last block's 2c channels are
 * mu (first c) and log sigma^2 (last c), docs/MODEL.md. */
#include "vae/vae.h"
#include <string.h>

mdm_status mdm_vae_encode(const mdm_model *m, const float *image, float *mu, float *logvar,
                          mdm_vae_work *w) {
    const mdm_hparams *hp = &m->hp;
    int c = hp->image_channels, h = hp->image_size, wd = hp->image_size;
    size_t n_in = (size_t)c * h * wd;
    if (n_in > w->maps_floats)
        return MDM_ERR_INTERNAL;
    memcpy(w->maps, image, n_in * sizeof(float));
    float *out;
    mdm_status st = mdm_vae_run(&m->vae_enc, hp->vae_gn_eps, &c, &h, &wd, w, &out);
    if (st != MDM_OK)
        return st;
    if (c != 2 * hp->latent_channels || h != hp->latent_size || wd != hp->latent_size)
        return MDM_ERR_INTERNAL;
    size_t half = (size_t)hp->latent_channels * h * wd;
    memcpy(mu, out, half * sizeof(float));
    if (logvar)
        memcpy(logvar, out + half, half * sizeof(float));
    return MDM_OK;
}
