/* Random-initialised models for the presets of the spec (tiny, S, paper):
 * a synthetic vocabulary of distinct pieces and Mamba-like weights, every
 * tensor from its own seeded PCG32 stream so that the values do not depend
 * on the order in which tensors are written. */
#include "convert.h"
#include "model/errmsg.h"
#include "sample/pcg32.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runtime's PCG32 (spec section 6); the draws below are float versions
 * of its own, kept as they are so that a preset's weights do not change. */
typedef mdm_pcg32 pcg32;

static float uniform(pcg32 *r) { return (float)(mdm_pcg32_next(r) >> 8) * (1.0f / 16777216.0f); }

static float normal(pcg32 *r) {
    float u1 = 1.0f - uniform(r), u2 = uniform(r); /* u1 in (0, 1] */
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}

typedef struct {
    uint64_t seed;
} preset_ctx;

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static uint64_t name_hash(const char *s) { /* FNV-1a: a stream per tensor name */
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static mdm_status fill_random(cv_source *src, const mdm_tensor_spec *s, float *x, size_t n,
                              char *err, size_t len) {
    (void)err, (void)len;
    const preset_ctx *c = src->ctx;
    pcg32 r;
    mdm_pcg32_seed(&r, c->seed, name_hash(s->name));
    const float fan_in = (float)s->ne[0], nl = (float)src->m.hp.n_layer;
    if (ends_with(s->name, "norm.weight") || ends_with(s->name, "norm_f.weight") ||
        ends_with(s->name, ".D") || (strncmp(s->name, "vae.", 4) == 0 && s->n_dims == 1 &&
                                     ends_with(s->name, "weight"))) {
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0f; /* norms and GroupNorm scales, the skip D */
    } else if (ends_with(s->name, "A_log")) {
        for (size_t i = 0; i < n; i++)
            x[i] = logf((float)(i % (size_t)s->ne[0] + 1)); /* S4D-real: A = -(1..N) */
    } else if (ends_with(s->name, "dt_proj.bias")) {
        for (size_t i = 0; i < n; i++) { /* inverse softplus of dt, log-uniform in [1e-3, 1e-1] */
            float dt = expf(logf(1e-3f) + uniform(&r) * (logf(1e-1f) - logf(1e-3f)));
            x[i] = dt + logf(-expm1f(-dt));
        }
    } else if (ends_with(s->name, "bias")) {
        for (size_t i = 0; i < n; i++)
            x[i] = 0.0f;
    } else {
        /* Weights: normal with std 1/sqrt(fan_in); out_proj and the residual
         * convolutions scaled down by depth so the residual stream stays small;
         * embedding tables 0.02 as usual. */
        float std = 1.0f / sqrtf(fan_in);
        if (ends_with(s->name, "out_proj.weight"))
            std /= sqrtf(nl);
        if (strstr(s->name, "conv2.weight"))
            std *= 0.1f;
        if (strncmp(s->name, "embed.", 6) == 0 && !strstr(s->name, "time_"))
            std = 0.02f;
        if (strncmp(s->name, "head.", 5) == 0)
            std = 0.02f;
        for (size_t i = 0; i < n; i++)
            x[i] = std * normal(&r);
    }
    return MDM_OK;
}

static void close_preset(cv_source *src) {
    free(src->ctx);
    src->ctx = NULL;
}

/* Distinct synthetic pieces: 3 specials, then "▁" + word or bare word,
 * words in bijective base 26 (a, b, ..., z, aa, ab, ...). */
static mdm_status synth_vocab(cv_source *src, int n) {
    mdm_status st = cv_alloc_vocab(src, n);
    if (st != MDM_OK)
        return st;
    static const char *special[3] = {"<pad>", "<unk>", "</s>"};
    static const int special_type[3] = {3, 2, 3};
    for (int i = 0; i < n; i++) {
        char buf[32];
        if (i < 3) {
            snprintf(buf, sizeof buf, "%s", special[i]);
            src->types[i] = special_type[i];
        } else {
            int k = i - 3, m = k / 2 + 1, p = 0;
            char word[16];
            while (m > 0) {
                m--;
                word[p++] = (char)('a' + m % 26);
                m /= 26;
            }
            int o = 0;
            if (k % 2 == 0)
                o = snprintf(buf, sizeof buf, "\xe2\x96\x81"); /* U+2581 */
            while (p > 0)
                buf[o++] = word[--p];
            buf[o] = '\0';
            src->types[i] = 1;
        }
        src->scores[i] = i < 3 ? 0.0f : -1.0f - 0.01f * (float)i;
        if (!(src->pieces[i] = strdup(buf)))
            return MDM_ERR_NO_MEMORY;
    }
    src->pad_id = 0;
    src->unk_id = 1;
    src->eos_id = 2;
    return MDM_OK;
}

static void set_vae(mdm_vae_stack *v, const char *const *blocks) {
    v->n_blocks = 0;
    for (; *blocks; blocks++)
        mdm_vae_parse_block(*blocks, strlen(*blocks), &v->blocks[v->n_blocks++]);
}

mdm_status cv_preset(cv_source *src, const char *preset, uint64_t seed, char *err, size_t len) {
    return cv_preset_sized(src, preset, seed, 0, err, len);
}

mdm_status cv_preset_sized(cv_source *src, const char *preset, uint64_t seed, int image_size,
                           char *err, size_t len) {
    static const char *tiny_enc[] = {"conv:1:32", "res:32", "down:32:64", "res:64", "down:64:64",
                                     "res:64", "gn:64:8", "silu", "conv:64:8", NULL};
    static const char *tiny_dec[] = {"conv:4:64", "res:64", "up:64:64", "res:64", "up:64:32",
                                     "res:32", "gn:32:8", "silu", "conv:32:1", NULL};
    static const char *s_enc[] = {"conv:3:64", "res:64", "down:64:128", "res:128",
                                  "down:128:128", "res:128", "down:128:128", "res:128",
                                  "gn:128:8", "silu", "conv:128:8", NULL};
    static const char *s_dec[] = {"conv:4:128", "res:128", "up:128:128", "res:128",
                                  "up:128:128", "res:128", "up:128:64", "res:64",
                                  "gn:64:8", "silu", "conv:64:3", NULL};
    static const char *micro_enc[] = {"conv:1:8", "res:8", "down:8:8", "gn:8:2", "silu",
                                      "conv:8:4", NULL};
    static const char *micro_dec[] = {"conv:2:8", "up:8:8", "res:8", "gn:8:2", "silu",
                                      "conv:8:1", NULL};
    memset(src, 0, sizeof *src);
    mdm_hparams *hp = &src->m.hp;
    int tiny = strcmp(preset, "tiny") == 0, s = strcmp(preset, "S") == 0,
        paper = strcmp(preset, "paper") == 0, micro = strcmp(preset, "micro") == 0;
    if (!tiny && !s && !paper && !micro)
        return mdm_err(err, len, MDM_ERR_INVALID_ARG, "preset \"%s\" (tiny, S, paper or micro)",
                       preset);
    *hp = (mdm_hparams){.image_size = 256, .image_channels = 3, .vae_factor = 8,
                        .latent_channels = 4, .patch_size = 2, .text_len = 64,
                        .vocab_size = 8000, .d_model = 512, .n_layer = 24, .expand = 2,
                        .d_state = 16, .d_conv = 4, .dt_rank = 32, .norm_eps = 1e-5f,
                        .vae_scaling_factor = 1.0f, .vae_gn_eps = 1e-5f,
                        .scan_orders = {0, 1, 2, 3}};
    if (tiny) {
        hp->image_size = 32, hp->image_channels = 1, hp->vae_factor = 4, hp->text_len = 16;
        hp->vocab_size = 128, hp->d_model = 128, hp->n_layer = 8, hp->dt_rank = 8;
    } else if (paper) {
        hp->text_len = 1024, hp->d_model = 2048, hp->n_layer = 49, hp->dt_rank = 128;
    } else if (micro) { /* every kind of tensor and block, a few KB */
        hp->image_size = 8, hp->image_channels = 1, hp->vae_factor = 2, hp->latent_channels = 2;
        hp->text_len = 4, hp->vocab_size = 16, hp->d_model = 32, hp->n_layer = 2;
        hp->d_state = 4, hp->d_conv = 2, hp->dt_rank = 2;
    }
    if (image_size) {
        const int unit = hp->vae_factor * hp->patch_size;
        if (image_size < unit || image_size > 4096 || image_size % unit != 0)
            return mdm_err(err, len, MDM_ERR_INVALID_ARG,
                           "image size %d: a multiple of %d in %d..4096 for preset %s",
                           image_size, unit, unit, preset);
        hp->image_size = image_size;
    }
    set_vae(&src->m.vae_enc, micro ? micro_enc : tiny ? tiny_enc : s_enc);
    set_vae(&src->m.vae_dec, micro ? micro_dec : tiny ? tiny_dec : s_dec);
    snprintf(src->name, sizeof src->name, "mdm-%s-random-seed%llu", preset,
             (unsigned long long)seed);
    preset_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return MDM_ERR_NO_MEMORY;
    c->seed = seed;
    src->ctx = c;
    src->fill = fill_random;
    src->close = close_preset;
    mdm_status st = synth_vocab(src, hp->vocab_size);
    if (st == MDM_OK)
        st = cv_check_model(src, err, len);
    return st;
}
