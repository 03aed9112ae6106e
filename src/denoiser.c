/* The denoiser forward of spec §2-3, for one sequence:
 *   [time_image, time_text, task, text_0..text_{Lt-1}, image_0..image_{Ni-1}]
 * -> n_layer Mamba blocks (scan order l mod 4) -> norm_f -> heads. */
#include "denoiser.h"
#include "kernels/ops.h"
#include "progress.h"
#include "sample/sedd.h"
#include <math.h>
#include <string.h>

/* ---- persistent state and scratch -------------------------------------- */

mdm_status mdm_denoiser_init(mdm_denoiser *dn, const mdm_model *m, mdm_arena *a) {
    const mdm_hparams *hp = &m->hp;
    const size_t per_layer = (size_t)hp->d_inner * (size_t)hp->d_state;
    dn->m = m;
    dn->A = mdm_arena_persist_floats(a, per_layer * (size_t)hp->n_layer);
    for (int o = 0; o < 4; o++)
        dn->perm[o] = mdm_arena_persist(a, (size_t)hp->seq_len * sizeof(int32_t));
    if (!mdm_arena_ok(a))
        return MDM_ERR_BUFFER_TOO_SMALL;
    if (!a->base)
        return MDM_OK; /* measuring */
    for (int l = 0; l < hp->n_layer; l++)
        mdm_mamba_prepare_A(hp, &m->layers[l], dn->A + (size_t)l * per_layer);
    for (int o = 0; o < 4; o++)
        if (!mdm_scan_permutation(hp, o, dn->perm[o]))
            return MDM_ERR_INTERNAL;
    return MDM_OK;
}

void mdm_den_work_carve(mdm_arena *a, const mdm_hparams *hp, mdm_den_work *w) {
    const size_t d = (size_t)hp->d_model, pd = (size_t)hp->patch_dim;
    size_t row = d > MDM_TIME_FEATURES ? d : MDM_TIME_FEATURES;
    mdm_mamba_work_carve(a, hp, &w->blk);
    w->x = mdm_arena_floats(a, (size_t)hp->seq_len * d);
    w->feat = mdm_arena_floats(a, MDM_TIME_FEATURES);
    w->hid = mdm_arena_floats(a, d);
    w->patches = mdm_arena_floats(a, (size_t)hp->n_image_tokens * pd);
    w->row = mdm_arena_floats(a, row > pd ? row : pd);
    w->ex = NULL;
    w->progress = NULL;
    w->progress_base = 0, w->progress_total = hp->n_layer;
}

/* ---- embeddings --------------------------------------------------------- */

void mdm_time_features(float t, float *feat) {
    /* Float throughout, in the reference's order of operations, so that the
     * features agree to the last bit or two (1000 t reaches 1000 radians). */
    const float neg_log_1e4 = (float)-log(10000.0);
    const int half = MDM_TIME_FEATURES / 2;
    for (int k = 0; k < half; k++) {
        float freq = expf(neg_log_1e4 * (float)k / (float)half);
        float arg = (1000.0f * t) * freq;
        feat[k] = cosf(arg);
        feat[half + k] = sinf(arg);
    }
}

/* Row r of an embedding table {d, rows} into dst (any stored type). */
static void table_row(const mdm_tensor *t, int r, float *dst) {
    size_t n = (size_t)t->ne[0], rb = mdm_type_row_bytes(t->type, n);
    mdm_dequantize_row(t->type, (const unsigned char *)t->data + (size_t)r * rb, dst, n);
}

/* dst += row r of t. */
static void add_row(const mdm_tensor *t, int r, float *dst, float *tmp) {
    table_row(t, r, tmp);
    for (int64_t i = 0; i < t->ne[0]; i++)
        dst[i] += tmp[i];
}

void mdm_time_embed(const mdm_time_mlp *mlp, float t, int d, float *out, mdm_den_work *w) {
    mdm_time_features(t, w->feat);
    mdm_op_matmul(w->ex, w->hid, w->feat, &mlp->fc1_w, mlp->fc1_b.data, 1, w->row);
    mdm_op_silu(w->ex, w->hid, (size_t)d);
    mdm_op_matmul(w->ex, out, w->hid, &mlp->fc2_w, mlp->fc2_b.data, 1, w->row);
}

/* Offset in latent [c][G*p][G*p] of element k of patches [G*G][c*p*p]:
 * patches row-major over the grid, each in (channel, row, col) order (spec §2). */
static size_t patch_offset(const mdm_hparams *hp, size_t k) {
    const size_t p = (size_t)hp->patch_size, G = (size_t)hp->grid, side = (size_t)hp->latent_size;
    const size_t pd = (size_t)hp->patch_dim, j = k / pd, e = k % pd;
    const size_t ch = e / (p * p), pr = e / p % p, pc = e % p;
    return (ch * side + j / G * p + pr) * side + j % G * p + pc;
}

static void patchify(const mdm_hparams *hp, const float *latent, float *patches) {
    size_t n = (size_t)hp->n_image_tokens * (size_t)hp->patch_dim;
    for (size_t k = 0; k < n; k++)
        patches[k] = latent[patch_offset(hp, k)];
}

static void unpatchify(const mdm_hparams *hp, const float *patches, float *latent) {
    size_t n = (size_t)hp->n_image_tokens * (size_t)hp->patch_dim;
    for (size_t k = 0; k < n; k++)
        latent[patch_offset(hp, k)] = patches[k];
}

static void embed(const mdm_model *m, const mdm_den_io *io, mdm_den_work *w) {
    const mdm_hparams *hp = &m->hp;
    const int d = hp->d_model, Lt = hp->text_len, Ni = hp->n_image_tokens;
    float *x = w->x;
    mdm_time_embed(&m->time_image, io->t_image, d, x, w);
    mdm_time_embed(&m->time_text, io->t_text, d, x + d, w);
    table_row(&m->task_embed, io->task, x + 2 * (size_t)d);
    for (int i = 0; i < Lt; i++) {
        float *r = x + (size_t)(3 + i) * d;
        table_row(&m->text_embed, io->tokens[i], r);
        add_row(&m->text_pos, i, r, w->row);
    }
    float *img = x + (size_t)(3 + Lt) * d;
    patchify(hp, io->latent, w->patches);
    mdm_op_matmul(w->ex, img, w->patches, &m->embed_image_w, m->embed_image_b.data, Ni,
                  w->row);
    for (int j = 0; j < Ni; j++)
        add_row(&m->image_pos, j, img + (size_t)j * d, w->row);
}

/* ---- heads -------------------------------------------------------------- */

static void heads(const mdm_model *m, const mdm_den_io *io, mdm_den_work *w) {
    const mdm_hparams *hp = &m->hp;
    const int d = hp->d_model, Lt = hp->text_len;
    float *txt = w->x + 3 * (size_t)d, *img = txt + (size_t)Lt * d;
    /* The prefix tokens have no head: normalise the rest only. */
    mdm_op_rmsnorm(w->ex, txt, txt, m->norm_f.data, Lt + hp->n_image_tokens, d, hp->norm_eps);
    if (io->v) {
        mdm_op_matmul(w->ex, w->patches, img, &m->head_image_w, m->head_image_b.data,
                      hp->n_image_tokens, w->row);
        unpatchify(hp, w->patches, io->v);
    }
    if (io->s) {
        mdm_op_matmul(w->ex, io->s, txt, &m->head_text_w, m->head_text_b.data, Lt, w->row);
        mdm_sedd_parameterise(io->s, io->tokens, io->t_text, Lt, hp->vocab_size);
    }
}

/* ---- forward ------------------------------------------------------------ */

static int in_unit(float t) { return t >= 0.0f && t <= 1.0f; } /* false for NaN */

int mdm_den_io_valid(const mdm_hparams *hp, const mdm_den_io *io) {
    if (io->task < 0 || io->task > 3 || !in_unit(io->t_image) || !in_unit(io->t_text))
        return 0;
    for (int i = 0; i < hp->text_len; i++)
        if (io->tokens[i] < 0 || io->tokens[i] > hp->vocab_size)
            return 0;
    return 1;
}

mdm_status mdm_denoiser_forward(const mdm_denoiser *dn, const mdm_den_io *io, mdm_den_work *w) {
    const mdm_model *m = dn->m;
    const mdm_hparams *hp = &m->hp;
    if (!mdm_den_io_valid(hp, io))
        return MDM_ERR_INVALID_ARG;
    embed(m, io, w);
    const size_t per_layer = (size_t)hp->d_inner * (size_t)hp->d_state;
    w->blk.ex = w->ex;
    for (int l = 0; l < hp->n_layer; l++) {
        mdm_mamba_block(hp, &m->layers[l], dn->A + (size_t)l * per_layer,
                        dn->perm[hp->scan_orders[l % 4]], w->x, &w->blk);
        if (mdm_progress_report(w->progress, w->progress_base + l + 1, w->progress_total) !=
            MDM_OK)
            return MDM_ERR_CANCELLED;
    }
    heads(m, io, w);
    return MDM_OK;
}
