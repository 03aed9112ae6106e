/* The VAE block interpreter shared by encoder.c and decoder.c: the block
 * grammar of docs/MODEL.md, one function per block kind. */
#include "kernels/ops.h"
#include "progress.h"
#include "vae/vae.h"
#include <string.h>

/* ---- planning: the largest map and weight row a list needs ------------- */

typedef struct {
    size_t map, row;
} vae_need;

static void need_max(size_t *m, size_t v) {
    if (v > *m)
        *m = v;
}

/* Walks a list from (c, h, w), as mdm_vae_run will, recording sizes. */
static void plan(const mdm_vae_stack *s, int c, int h, int w, vae_need *n) {
    need_max(&n->map, (size_t)c * h * w);
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        if (b->op == MDM_VAE_UP) {
            h *= 2, w *= 2;
            need_max(&n->map, (size_t)b->ci * h * w); /* upsampled input */
        } else if (b->op == MDM_VAE_DOWN) {
            h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
        }
        if (b->op != MDM_VAE_SILU && b->op != MDM_VAE_GN) {
            need_max(&n->row, (size_t)b->ci * 9);
            c = b->co;
        }
        need_max(&n->map, (size_t)c * h * w);
    }
}

void mdm_vae_work_carve(mdm_arena *a, const mdm_model *m, mdm_vae_work *w) {
    const mdm_hparams *hp = &m->hp;
    vae_need n = {0, 1};
    plan(&m->vae_enc, hp->image_channels, hp->image_size, hp->image_size, &n);
    plan(&m->vae_dec, hp->latent_channels, hp->latent_size, hp->latent_size, &n);
    for (int i = 0; i < 3; i++)
        w->map[i] = mdm_arena_floats(a, n.map);
    w->row = mdm_arena_floats(a, n.row);
    w->map_floats = n.map;
    w->ex = NULL;
    w->progress = NULL;
}

/* ---- blocks -------------------------------------------------------------- */

/* Three maps rotate: cur holds the input, the other two are free. */
typedef struct {
    float *cur, *a, *b;
    int c, h, w;
} vae_state;

static void swap_in(vae_state *st, float **fresh) {
    float *old = st->cur;
    st->cur = *fresh;
    *fresh = old;
}

static void conv(const mdm_exec *ex, vae_state *st, const mdm_vae_block *b, int stride,
                 float *row) {
    mdm_op_conv2d_3x3(ex, st->a, st->cur, &b->w, b->b.data, b->ci, b->co, st->h, st->w, stride,
                      row);
    st->c = b->co;
    st->h = (st->h - 1) / stride + 1;
    st->w = (st->w - 1) / stride + 1;
    swap_in(st, &st->a);
}

static void up(const mdm_exec *ex, vae_state *st, const mdm_vae_block *b, float *row) {
    mdm_op_upsample2x(ex, st->a, st->cur, st->c, st->h, st->w);
    st->h *= 2, st->w *= 2;
    swap_in(st, &st->a);
    conv(ex, st, b, 1, row);
}

/* x + conv2(SiLU(conv1(SiLU(x)))): x stays in cur for the residual. */
static void res(const mdm_exec *ex, vae_state *st, const mdm_vae_block *b, float *row) {
    size_t n = (size_t)st->c * st->h * st->w;
    memcpy(st->a, st->cur, n * sizeof(float));
    mdm_op_silu(ex, st->a, n);
    mdm_op_conv2d_3x3(ex, st->b, st->a, &b->w, b->b.data, b->ci, b->co, st->h, st->w, 1, row);
    mdm_op_silu(ex, st->b, n);
    mdm_op_conv2d_3x3(ex, st->a, st->b, &b->w2, b->b2.data, b->ci, b->co, st->h, st->w, 1, row);
    for (size_t i = 0; i < n; i++)
        st->cur[i] += st->a[i];
}

/* Whether block b takes the current channel count and stays in the maps. */
static int chains(const vae_state *st, const mdm_vae_block *b, size_t cap) {
    int h = st->h, w = st->w;
    if (b->op == MDM_VAE_SILU)
        return 1;
    if (b->ci != st->c || (b->op == MDM_VAE_GN && (b->groups < 1 || b->ci % b->groups)))
        return 0;
    if (b->op == MDM_VAE_UP)
        h *= 2, w *= 2;
    return (size_t)b->ci * h * w <= cap && (size_t)b->co * h * w <= cap;
}

mdm_status mdm_vae_run(const mdm_vae_stack *s, float gn_eps, int *c, int *h, int *w_,
                       mdm_vae_work *w, float **out) {
    vae_state st = {w->map[0], w->map[1], w->map[2], *c, *h, *w_};
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        if (!chains(&st, b, w->map_floats))
            return MDM_ERR_INTERNAL;
        switch (b->op) {
        case MDM_VAE_CONV: conv(w->ex, &st, b, 1, w->row); break;
        case MDM_VAE_DOWN: conv(w->ex, &st, b, 2, w->row); break;
        case MDM_VAE_UP: up(w->ex, &st, b, w->row); break;
        case MDM_VAE_RES: res(w->ex, &st, b, w->row); break;
        case MDM_VAE_GN:
            mdm_op_groupnorm(w->ex, st.cur, st.cur, b->w.data, b->b.data, st.c, st.h * st.w,
                             b->groups, gn_eps);
            break;
        case MDM_VAE_SILU: mdm_op_silu(w->ex, st.cur, (size_t)st.c * st.h * st.w); break;
        }
        if (mdm_progress_report(w->progress, i + 1, s->n_blocks) != MDM_OK)
            return MDM_ERR_CANCELLED;
    }
    *c = st.c, *h = st.h, *w_ = st.w;
    *out = st.cur;
    return MDM_OK;
}
