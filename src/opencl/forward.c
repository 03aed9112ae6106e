/* A denoiser forward on the device: denoiser.c and mamba/block.c step by
 * step, with device buffers.  Across the bus go only the inputs (the two
 * time-feature vectors, computed on the host exactly as the CPU path does,
 * the latent, the task and tokens) and the outputs (velocity, raw text
 * scores, which the host parameterises as on the CPU: spec §3's SEDD step
 * is per row and needs the tokens). */
#include "opencl/ocl.h"
#include "context.h"
#include "sample/sedd.h"
#include <string.h>

static ocl_f32 at(cl_mem m, size_t off) { return (ocl_f32){m, (int)off}; }
static const ocl_bytes no_bias = {NULL, 0};

static void time_embed(mdm_ocl *o, const mdm_time_mlp *mlp, int feat_off, ocl_f32 out) {
    const mdm_tensor *fc1 = &mlp->fc1_w, *fc2 = &mlp->fc2_w;
    ocl_weight w1 = mdm_ocl_weight(o, fc1, 0, (int)fc1->ne[1]);
    ocl_weight w2 = mdm_ocl_weight(o, fc2, 0, (int)fc2->ne[1]);
    ocl_matmul(o, at(o->hid, 0), at(o->io_f, (size_t)feat_off), &w1, mdm_ocl_tensor(o, &mlp->fc1_b),
               1, OCL_SILU);
    ocl_matmul(o, out, at(o->hid, 0), &w2, mdm_ocl_tensor(o, &mlp->fc2_b), 1, OCL_NONE);
}

static void embed(mdm_ocl *o) {
    const mdm_model *m = o->m;
    const mdm_hparams *hp = &m->hp;
    const size_t d = (size_t)hp->d_model, img = (size_t)(3 + hp->text_len) * d;
    time_embed(o, &m->time_image, 0, at(o->x, 0));
    time_embed(o, &m->time_text, MDM_TIME_FEATURES, at(o->x, d));
    ocl_embed_text(o, o->x, mdm_ocl_tensor(o, &m->task_embed), mdm_ocl_tensor(o, &m->text_embed),
                   mdm_ocl_tensor(o, &m->text_pos), hp->d_model, hp->text_len);
    ocl_patch(o, o->patches, at(o->io_f, 2 * MDM_TIME_FEATURES), hp, 0);
    ocl_weight we = mdm_ocl_weight(o, &m->embed_image_w, 0, hp->d_model);
    ocl_matmul(o, at(o->x, img), at(o->patches, 0), &we, mdm_ocl_tensor(o, &m->embed_image_b),
               hp->n_image_tokens, OCL_NONE);
    ocl_add_rows(o, at(o->x, img), mdm_ocl_tensor(o, &m->image_pos),
                 hp->n_image_tokens * hp->d_model);
}

/* mamba/block.c's mixer between the gather and the scatter-add. */
static void block(mdm_ocl *o, int l) {
    const mdm_hparams *hp = &o->m->hp;
    const mdm_layer *L = &o->m->layers[l];
    const int S = hp->seq_len, d = hp->d_model, di = hp->d_inner, R = hp->dt_rank;
    const int N = hp->d_state, n = S * di, perm_off = hp->scan_orders[l % 4] * S;
    ocl_weight in_x = mdm_ocl_weight(o, &L->in_proj, 0, di);
    ocl_weight in_z = mdm_ocl_weight(o, &L->in_proj, di, di);
    ocl_weight dt_rows = mdm_ocl_weight(o, &L->x_proj, 0, R);
    ocl_weight bc_rows = mdm_ocl_weight(o, &L->x_proj, R, 2 * N);
    ocl_weight dt_proj = mdm_ocl_weight(o, &L->dt_proj_w, 0, di);
    ocl_weight out_proj = mdm_ocl_weight(o, &L->out_proj, 0, d);

    ocl_gather(o, o->u, o->x, perm_off, d, S);
    ocl_rmsnorm(o, at(o->u, 0), at(o->u, 0), mdm_ocl_tensor(o, &L->norm), S, d, hp->norm_eps);
    ocl_matmul2(o, at(o->xs, 0), at(o->z, 0), at(o->u, 0), &in_x, &in_z, S);
    ocl_conv1d(o, at(o->xc, 0), at(o->xs, 0), mdm_ocl_tensor(o, &L->conv1d_w),
               mdm_ocl_tensor(o, &L->conv1d_b), S, di, hp->d_conv, OCL_SILU);
    ocl_matmul2(o, at(o->dt_in, 0), at(o->bc, 0), at(o->xc, 0), &dt_rows, &bc_rows, S);
    ocl_matmul(o, at(o->delta, 0), at(o->dt_in, 0), &dt_proj, mdm_ocl_tensor(o, &L->dt_proj_b), S,
               OCL_SOFTPLUS);
    ocl_scan(o, at(o->y, 0), at(o->xc, 0), at(o->delta, 0), at(o->A, (size_t)l * di * N),
             at(o->bc, 0), 2 * N, mdm_ocl_tensor(o, &L->D), S, di, N);
    ocl_gate(o, at(o->y, 0), at(o->z, 0), n);
    ocl_matmul(o, at(o->out, 0), at(o->y, 0), &out_proj, no_bias, S, OCL_NONE);
    ocl_scatter_add(o, o->x, o->out, perm_off, d, S);
}

mdm_status mdm_ocl_forward(mdm_ocl *o, const mdm_den_io *io) {
    const mdm_model *m = o->m;
    const mdm_hparams *hp = &m->hp;
    const int d = hp->d_model, Lt = hp->text_len, V1 = hp->vocab_size + 1;
    const size_t nl = mdm_latent_count(hp), txt = 3 * (size_t)d, img = txt + (size_t)Lt * d;
    if (!mdm_den_io_valid(hp, io))
        return MDM_ERR_INVALID_ARG;
    mdm_time_features(io->t_image, o->stage);
    mdm_time_features(io->t_text, o->stage + MDM_TIME_FEATURES);
    memcpy(o->stage + 2 * MDM_TIME_FEATURES, io->latent, nl * sizeof(float));
    o->stage_i[0] = io->task;
    memcpy(o->stage_i + 1, io->tokens, (size_t)Lt * sizeof(int32_t));
    mdm_ocl_write(o, o->io_f, 0, (2 * MDM_TIME_FEATURES + nl) * sizeof(float), o->stage);
    mdm_ocl_write(o, o->io_i, 0, (1 + (size_t)Lt) * sizeof(int32_t), o->stage_i);

    embed(o);
    for (int l = 0; l < hp->n_layer; l++)
        block(o, l);
    /* Heads: the prefix tokens have none; normalise the rest only. */
    ocl_rmsnorm(o, at(o->x, txt), at(o->x, txt), mdm_ocl_tensor(o, &m->norm_f),
                Lt + hp->n_image_tokens, d, hp->norm_eps);
    if (io->v) {
        ocl_weight wh = mdm_ocl_weight(o, &m->head_image_w, 0, hp->patch_dim);
        ocl_matmul(o, at(o->patches, 0), at(o->x, img), &wh, mdm_ocl_tensor(o, &m->head_image_b),
                   hp->n_image_tokens, OCL_NONE);
        ocl_patch(o, o->patches, at(o->v, 0), hp, 1);
        mdm_ocl_read(o, o->v, 0, nl * sizeof(float), io->v);
    }
    if (io->s) {
        ocl_weight wt = mdm_ocl_weight(o, &m->head_text_w, 0, V1);
        ocl_matmul(o, at(o->s, 0), at(o->x, txt), &wt, mdm_ocl_tensor(o, &m->head_text_b), Lt,
                   OCL_NONE);
        mdm_ocl_read(o, o->s, 0, (size_t)Lt * V1 * sizeof(float), io->s);
    }
    mdm_status st = mdm_ocl_check(o);
    if (st == MDM_OK && io->s)
        mdm_sedd_parameterise(io->s, io->tokens, io->t_text, Lt, hp->vocab_size);
    return st;
}
