/* The lower-level calls of mdm_rt.h: tokenize, detokenize, encode an image
 * to a scaled latent, decode a latent to pixels, one denoiser forward.
 * Each checks its arguments, carves its scratch above whatever the caller
 * holds, and gives it back before returning. */
#include "context.h"
#include "device.h"
#include "pixels.h"
#include <math.h>
#include <string.h>

/* ---- text -------------------------------------------------------------- */

static mdm_status layout(mdm_ctx *ctx, const char *text, size_t len, int32_t *ids, size_t *n_ids,
                         const mdm_tok_call *c) {
    const mdm_hparams *hp = &ctx->m->hp;
    const size_t Lt = (size_t)hp->text_len;
    size_t n = 0;
    mdm_status st = mdm_spm_encode(ctx->spm, text ? text : "", len, c->work, c->work_size, c->ids,
                                   Lt, &n);
    if (st == MDM_OK && n + 1 > Lt) /* EOS needs a position too */
        st = MDM_ERR_TEXT_TOO_LONG;
    if (st == MDM_ERR_TEXT_TOO_LONG)
        mdm_ctx_log(ctx, MDM_LOG_ERROR, "%s: its tokens and EOS need more than %zu",
                    mdm_strerror(st), Lt);
    if (n_ids)
        *n_ids = n + 1;
    if (st != MDM_OK)
        return st;
    memcpy(ids, c->ids, n * sizeof *ids);
    ids[n] = ctx->m->vocab.eos_id;
    for (size_t i = n + 1; i < Lt; i++)
        ids[i] = ctx->m->vocab.pad_id;
    return MDM_OK;
}

mdm_status mdm_tokenize(mdm_ctx *ctx, const char *text, size_t text_len, int32_t *ids,
                        size_t *n_ids) {
    if (!ctx || !ids || (!text && text_len))
        return MDM_ERR_INVALID_ARG;
    if (text_len > ctx->params.max_text_bytes) {
        mdm_ctx_log(ctx, MDM_LOG_ERROR, "%s: %zu bytes, max_text_bytes is %zu",
                    mdm_strerror(MDM_ERR_TEXT_TOO_LONG), text_len, ctx->params.max_text_bytes);
        return MDM_ERR_TEXT_TOO_LONG;
    }
    size_t mark = mdm_arena_mark(&ctx->arena);
    mdm_tok_call c;
    mdm_tok_call_carve(&ctx->arena, &ctx->m->hp, &ctx->params, &c);
    mdm_status st = mdm_arena_ok(&ctx->arena) ? layout(ctx, text, text_len, ids, n_ids, &c)
                                              : MDM_ERR_INTERNAL;
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

/* Pieces up to the first EOS, PAD and MASK dropped, as the reference's
 * Tokenizer.decode; the kept ids are decoded together so that a run of byte
 * pieces still forms its UTF-8 character. */
static mdm_status detok(mdm_ctx *ctx, const int32_t *ids, size_t n, int32_t *kept, char *text,
                        size_t cap, size_t *len) {
    const mdm_vocab *v = &ctx->m->vocab;
    size_t k = 0;
    for (size_t i = 0; i < n && ids[i] != v->eos_id; i++) {
        if (ids[i] < 0 || ids[i] > v->n)
            return MDM_ERR_INVALID_ARG;
        if (ids[i] != v->pad_id && ids[i] != v->n)
            kept[k++] = ids[i];
    }
    return mdm_spm_decode(ctx->spm, kept, k, text, cap, len);
}

mdm_status mdm_detokenize(mdm_ctx *ctx, const int32_t *ids, size_t n, char *text, size_t cap,
                          size_t *len) {
    size_t dummy;
    if (!len)
        len = &dummy;
    *len = 0;
    if (!ctx || (!ids && n) || (!text && cap) || n > (size_t)ctx->m->hp.text_len)
        return MDM_ERR_INVALID_ARG;
    size_t mark = mdm_arena_mark(&ctx->arena);
    mdm_tok_call c;
    mdm_tok_call_carve(&ctx->arena, &ctx->m->hp, &ctx->params, &c);
    mdm_status st = mdm_arena_ok(&ctx->arena) ? detok(ctx, ids, n, c.ids, text, cap, len)
                                              : MDM_ERR_INTERNAL;
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

/* ---- images ------------------------------------------------------------ */

/* Planar floats from interleaved bytes (the model's size and channels). */
static void bytes_to_planar(const mdm_hparams *hp, const uint8_t *pixels, float *planar) {
    const size_t plane = (size_t)hp->image_size * hp->image_size, C = (size_t)hp->image_channels;
    for (size_t ch = 0; ch < C; ch++)
        for (size_t i = 0; i < plane; i++)
            mdm_image_bytes_to_floats(pixels + i * C + ch, 1, planar + ch * plane + i);
}

/* Interleaved bytes from planar floats, by mdm_image_floats_to_bytes's rule. */
static void planar_to_bytes(const mdm_hparams *hp, const float *planar, uint8_t *pixels) {
    const size_t plane = (size_t)hp->image_size * hp->image_size, C = (size_t)hp->image_channels;
    for (size_t ch = 0; ch < C; ch++)
        for (size_t i = 0; i < plane; i++)
            mdm_image_floats_to_bytes(planar + ch * plane + i, 1, pixels + i * C + ch);
}

/* The VAE on ctx's device: the encoder's mu (its first c channels), and
 * the decoder's image clamped as mdm_vae_decode does (in place). */
static mdm_status encode_on_device(mdm_ctx *ctx, const float *planar, float *latent, float *out) {
    const size_t n = mdm_latent_count(&ctx->m->hp);
    mdm_status st = mdm_device_vae(ctx, 0, planar, out, 2 * n);
    if (st == MDM_OK)
        memcpy(latent, out, n * sizeof(float));
    return st;
}

static mdm_status decode_on_device(mdm_ctx *ctx, float *image) {
    const size_t n = mdm_pixel_count(&ctx->m->hp);
    mdm_status st = mdm_device_vae(ctx, 1, image, image, n);
    for (size_t i = 0; st == MDM_OK && i < n; i++)
        image[i] = image[i] > -1.0f ? (image[i] < 1.0f ? image[i] : 1.0f) : -1.0f;
    return st;
}

mdm_status mdm_ctx_encode(mdm_ctx *ctx, const uint8_t *pixels, const float *planar,
                          float *latent) {
    const mdm_model *m = ctx->m;
    size_t mark = mdm_arena_mark(&ctx->arena);
    mdm_vae_call c;
    mdm_vae_call_carve(&ctx->arena, m, &c);
    c.vae.ex = &ctx->ex;
    c.vae.progress = &ctx->progress;
    mdm_status st = MDM_ERR_INTERNAL;
    if (mdm_arena_ok(&ctx->arena)) {
        if (pixels) {
            bytes_to_planar(&m->hp, pixels, c.image);
            planar = c.image;
        }
        st = ctx->ocl ? encode_on_device(ctx, planar, latent, c.vae.maps)
                      : mdm_vae_encode(m, planar, latent, NULL, &c.vae);
    }
    if (st == MDM_OK) {
        const size_t n = mdm_latent_count(&m->hp);
        for (size_t i = 0; i < n; i++)
            latent[i] *= m->hp.vae_scaling_factor;
    }
    if (st == MDM_ERR_CANCELLED)
        mdm_ctx_log(ctx, MDM_LOG_INFO, "encode cancelled by the progress callback");
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

mdm_status mdm_ctx_decode(mdm_ctx *ctx, const float *latent, uint8_t *pixels) {
    const mdm_model *m = ctx->m;
    const mdm_hparams *hp = &m->hp;
    size_t mark = mdm_arena_mark(&ctx->arena);
    mdm_vae_call c;
    mdm_vae_call_carve(&ctx->arena, m, &c);
    c.vae.ex = &ctx->ex;
    c.vae.progress = &ctx->progress;
    mdm_status st = MDM_ERR_INTERNAL;
    if (mdm_arena_ok(&ctx->arena)) {
        /* The decoder takes latent / scaling_factor (spec §4); the map buffer is its
         * input, so stage z in the image buffer, which is free until then. */
        const size_t n = mdm_latent_count(hp);
        for (size_t i = 0; i < n; i++)
            c.image[i] = latent[i] / hp->vae_scaling_factor;
        st = ctx->ocl ? decode_on_device(ctx, c.image)
                      : mdm_vae_decode(m, c.image, c.image, &c.vae);
    }
    if (st == MDM_OK)
        planar_to_bytes(hp, c.image, pixels);
    if (st == MDM_ERR_CANCELLED)
        mdm_ctx_log(ctx, MDM_LOG_INFO, "decode cancelled by the progress callback");
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

static int all_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

mdm_status mdm_encode_image_f32(mdm_ctx *ctx, const float *planar, size_t n, float *latent) {
    if (!ctx || !planar || !latent || n != mdm_pixel_count(&ctx->m->hp) || !all_finite(planar, n))
        return MDM_ERR_INVALID_ARG;
    return mdm_ctx_encode(ctx, NULL, planar, latent);
}

mdm_status mdm_encode_image(mdm_ctx *ctx, const uint8_t *pixels, size_t n, float *latent) {
    if (!ctx || !pixels || !latent || n != mdm_pixel_count(&ctx->m->hp))
        return MDM_ERR_INVALID_ARG;
    return mdm_ctx_encode(ctx, pixels, NULL, latent);
}

mdm_status mdm_decode_latent(mdm_ctx *ctx, const float *latent, uint8_t *pixels, size_t n) {
    if (!ctx || !latent || !pixels || n != mdm_pixel_count(&ctx->m->hp) ||
        !all_finite(latent, mdm_latent_count(&ctx->m->hp)))
        return MDM_ERR_INVALID_ARG;
    return mdm_ctx_decode(ctx, latent, pixels);
}

/* ---- the denoiser ------------------------------------------------------ */

mdm_status mdm_ctx_forward(mdm_ctx *ctx, const mdm_den_io *io, int batch) {
    size_t mark = mdm_arena_mark(&ctx->arena);
    mdm_den_work w;
    mdm_den_work_carve(&ctx->arena, &ctx->m->hp, &w);
    w.ex = &ctx->ex;
    w.progress = &ctx->progress;
    w.progress_total = batch * ctx->m->hp.n_layer;
    mdm_status st = mdm_arena_ok(&ctx->arena) ? MDM_OK : MDM_ERR_INTERNAL;
    for (int b = 0; b < batch && st == MDM_OK; b++) {
        w.progress_base = b * ctx->m->hp.n_layer;
        st = ctx->ocl ? mdm_device_forward(ctx, &io[b]) : mdm_denoiser_forward(&ctx->dn, &io[b], &w);
    }
    if (st == MDM_ERR_CANCELLED)
        mdm_ctx_log(ctx, MDM_LOG_INFO, "denoiser forward cancelled by the progress callback");
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

mdm_status mdm_denoise(mdm_ctx *ctx, int batch, const float *latents, const int32_t *tokens,
                       const float *t_image, const float *t_text, const int32_t *task,
                       float *velocity, float *log_score) {
    if (!ctx || batch < 1 || batch > 2 || !latents || !tokens || !t_image || !t_text || !task)
        return MDM_ERR_INVALID_ARG;
    const mdm_hparams *hp = &ctx->m->hp;
    const size_t nl = mdm_latent_count(hp), Lt = (size_t)hp->text_len;
    const size_t ns = Lt * (size_t)(hp->vocab_size + 1);
    if (!all_finite(latents, nl * (size_t)batch))
        return MDM_ERR_INVALID_ARG;
    mdm_den_io io[2];
    for (int b = 0; b < batch; b++)
        io[b] = (mdm_den_io){latents + b * nl, tokens + b * Lt, t_image[b], t_text[b], task[b],
                             velocity ? velocity + b * nl : NULL,
                             log_score ? log_score + b * ns : NULL};
    for (int b = 0; b < batch; b++) /* all samples before any work */
        if (!mdm_den_io_valid(hp, &io[b]))
            return MDM_ERR_INVALID_ARG;
    return mdm_ctx_forward(ctx, io, batch);
}
