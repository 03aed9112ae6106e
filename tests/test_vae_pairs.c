/* The VAE's paired maps (src/vae/blocks.c): a down block that halves the
 * size and doubles the channels, or an up block doing the opposite, runs in
 * the space of its larger map when the two do not fit side by side.  For
 * the shipped demo model and the golden random model, encode and decode
 * with the carved (paired) map buffer must give the bits of the same calls
 * with a buffer large enough for every block's input and output side by
 * side.  The case first proves the carved buffer is too small for that, so
 * the paired path is the one that ran. */
#include "check.h"
#include "test_runtime_util.h"
#include "context.h"
#include "vae/vae.h"

/* The largest input + output of a resolution-changing block of a list. */
static size_t side_by_side(const mdm_vae_stack *s, int c, int h, int w) {
    size_t most = 0;
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        const size_t in = (size_t)c * h * w;
        if (b->op == MDM_VAE_UP)
            h *= 2, w *= 2;
        else if (b->op == MDM_VAE_DOWN)
            h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
        if (b->op != MDM_VAE_SILU && b->op != MDM_VAE_GN)
            c = b->co;
        const size_t pair = in + (size_t)c * h * w;
        if ((b->op == MDM_VAE_UP || b->op == MDM_VAE_DOWN) && pair > most)
            most = pair;
    }
    return most;
}

static float rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 40) / (double)(1ull << 23) - 1.0);
}

static void check_model(const mdm_model *m, const char *name) {
    const mdm_hparams *hp = &m->hp;
    const size_t ni = (size_t)hp->image_channels * hp->image_size * hp->image_size;
    const size_t nl = mdm_latent_count(hp);
    const size_t big = side_by_side(&m->vae_enc, hp->image_channels, hp->image_size,
                                    hp->image_size) +
                       side_by_side(&m->vae_dec, hp->latent_channels, hp->latent_size,
                                    hp->latent_size);
    mdm_arena a;
    const size_t bytes = 64u << 20;
    void *buf = malloc(bytes);
    float *wide = malloc(big * sizeof *wide), *img = malloc(ni * sizeof *img);
    float *mu[2], *lv[2], *dec[2];
    for (int k = 0; k < 2; k++) {
        mu[k] = malloc(nl * sizeof(float)), lv[k] = malloc(nl * sizeof(float));
        dec[k] = malloc(ni * sizeof(float));
    }
    mdm_arena_init(&a, buf, bytes);
    mdm_vae_work w;
    mdm_vae_work_carve(&a, m, &w);
    CHECK(mdm_arena_ok(&a));
    CHECKF(w.maps_floats < side_by_side(&m->vae_enc, hp->image_channels, hp->image_size,
                                        hp->image_size) &&
               w.maps_floats < side_by_side(&m->vae_dec, hp->latent_channels, hp->latent_size,
                                            hp->latent_size),
           "%s: the map buffer (%zu floats) holds an up or down block side by side: no pairing",
           name, w.maps_floats);
    uint64_t s = 5;
    for (size_t i = 0; i < ni; i++)
        img[i] = rnd(&s);
    for (int k = 0; k < 2; k++) {
        mdm_vae_work wk = w;
        if (k == 1)
            wk.maps = wide, wk.maps_floats = big;
        CHECK(mdm_vae_encode(m, img, mu[k], lv[k], &wk) == MDM_OK);
        CHECK(mdm_vae_decode(m, mu[k], dec[k], &wk) == MDM_OK);
    }
    CHECKF(memcmp(mu[0], mu[1], nl * sizeof(float)) == 0 &&
               memcmp(lv[0], lv[1], nl * sizeof(float)) == 0,
           "%s: paired encode differs from side by side", name);
    CHECKF(memcmp(dec[0], dec[1], ni * sizeof(float)) == 0,
           "%s: paired decode differs from side by side", name);
    printf("  %s: map buffer %zu floats, side by side %zu\n", name, w.maps_floats, big);
    for (int k = 0; k < 2; k++)
        free(mu[k]), free(lv[k]), free(dec[k]);
    free(buf), free(wide), free(img);
}

static void test_demo_model(void) {
    mdm_model *m = NULL;
    char err[256];
    const char *path = "models/mdm-fmnist-q8_0.gguf";
    if (mdm_model_open_file(path, NULL, &m, err, sizeof err) != MDM_OK) {
        CHECKF(0, "%s: %s", path, err);
        return;
    }
    check_model(m, "demo q8_0");
    mdm_model_free(m);
}

static void test_golden_model(void) {
    size_t size;
    uint8_t *file = golden_model(MDM_TYPE_F32, &size);
    mdm_model *m = NULL;
    char err[256];
    CHECK(file != NULL);
    if (!file)
        return;
    if (mdm_model_open_memory(file, size, NULL, &m, err, sizeof err) != MDM_OK) {
        CHECKF(0, "golden model: %s", err);
    } else {
        check_model(m, "golden random f32");
        mdm_model_free(m);
    }
    free(file);
}

int main(void) {
    RUN(test_demo_model);
    RUN(test_golden_model);
    CHECK_EXIT();
}
