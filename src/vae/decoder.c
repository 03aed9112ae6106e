/* VAE decoder: latent -> image, pixels clamped to [-1, 1] (spec §4). */
#include "vae/vae.h"
#include <string.h>

mdm_status mdm_vae_decode(const mdm_model *m, const float *z, float *image, mdm_vae_work *w) {
    const mdm_hparams *hp = &m->hp;
    int c = hp->latent_channels, h = hp->latent_size, wd = hp->latent_size;
    size_t n_in = (size_t)c * h * wd;
    if (n_in > w->maps_floats)
        return MDM_ERR_INTERNAL;
    memcpy(w->maps, z, n_in * sizeof(float));
    float *out;
    mdm_status st = mdm_vae_run(&m->vae_dec, hp->vae_gn_eps, &c, &h, &wd, w, &out);
    if (st != MDM_OK)
        return st;
    if (c != hp->image_channels || h != hp->image_size || wd != hp->image_size)
        return MDM_ERR_INTERNAL;
    size_t n = (size_t)c * h * wd;
    for (size_t i = 0; i < n; i++) {
        float x = out[i];
        /* NaN fails both tests and becomes -1, as in mdm_image_floats_to_bytes. */
        image[i] = x > -1.0f ? (x < 1.0f ? x : 1.0f) : -1.0f;
    }
    return MDM_OK;
}
