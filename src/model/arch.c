/* Hyper-parameter limits, the tensor list a model implies, and the type
 * policy of docs/FORMAT.md. */
#include "model/arch.h"
#include <stddef.h>
#include "model/errmsg.h"
#include <math.h>
#include <stdarg.h>
#include "fmt.h"
#include "port.h"
#include <string.h>

static mdm_status range(int v, int lo, int hi, const char *key, char *err, size_t len) {
    if (v < lo || v > hi)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "%s = %d, need %d..%d", key, v, lo, hi);
    return MDM_OK;
}

static mdm_status positive(float v, const char *key, char *err, size_t len) {
    if (!(isfinite(v) && v > 0.0f))
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "%s = %g, need finite > 0", key, (double)v);
    return MDM_OK;
}

mdm_status mdm_hparams_finish(mdm_hparams *hp, char *err, size_t len) {
    mdm_status st;
    /* Limits far above any preset ("paper": d 2048, 49 layers), low enough
     * that no derived size overflows an int. */
    if ((st = range(hp->image_size, 1, 8192, "mdm.image_size", err, len)) ||
        (st = range(hp->image_channels, 1, 4, "mdm.image_channels", err, len)) ||
        (st = range(hp->vae_factor, 1, 64, "mdm.vae_factor", err, len)) ||
        (st = range(hp->latent_channels, 1, 64, "mdm.latent_channels", err, len)) ||
        (st = range(hp->patch_size, 1, 16, "mdm.patch_size", err, len)) ||
        (st = range(hp->text_len, 1, 65536, "mdm.text_len", err, len)) ||
        (st = range(hp->vocab_size, 3, 1 << 20, "mdm.vocab_size", err, len)) ||
        (st = range(hp->d_model, 1, 32768, "mdm.d_model", err, len)) ||
        (st = range(hp->n_layer, 1, MDM_MAX_LAYERS, "mdm.n_layer", err, len)) ||
        (st = range(hp->expand, 1, 16, "mdm.expand", err, len)) ||
        (st = range(hp->d_state, 1, 1024, "mdm.d_state", err, len)) ||
        (st = range(hp->d_conv, 1, 64, "mdm.d_conv", err, len)) ||
        (st = range(hp->dt_rank, 1, hp->d_model, "mdm.dt_rank", err, len)) ||
        (st = positive(hp->norm_eps, "mdm.norm_eps", err, len)) ||
        (st = positive(hp->vae_scaling_factor, "mdm.vae.scaling_factor", err, len)) ||
        (st = positive(hp->vae_gn_eps, "mdm.vae.gn_eps", err, len)))
        return st;
    if (hp->vae_factor & (hp->vae_factor - 1))
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "mdm.vae_factor = %d, need a power of 2",
                       hp->vae_factor);
    if (hp->image_size % (hp->vae_factor * hp->patch_size) != 0)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE,
                       "mdm.image_size = %d is not a multiple of vae_factor * patch_size = %d",
                       hp->image_size, hp->vae_factor * hp->patch_size);
    for (int i = 0; i < 4; i++)
        if ((st = range(hp->scan_orders[i], 0, 3, "mdm.scan_orders", err, len)))
            return st;
    hp->d_inner = hp->expand * hp->d_model;
    hp->latent_size = hp->image_size / hp->vae_factor;
    hp->grid = hp->latent_size / hp->patch_size;
    hp->n_image_tokens = hp->grid * hp->grid;
    hp->patch_dim = hp->latent_channels * hp->patch_size * hp->patch_size;
    hp->seq_len = 3 + hp->text_len + hp->n_image_tokens;
    return MDM_OK;
}

/* Specs go to a callback one at a time, so the loader binds each as it is
 * made and needs no list in memory. */
typedef struct {
    void (*emit)(void *user, const mdm_tensor_spec *s);
    void *user;
} list;

static void add(list *l, mdm_tensor *slot, mdm_tclass c, int64_t ne0, int64_t ne1, int64_t ne2,
                const char *fmt, ...) MDM_PRINTF(7, 8);

static void add(list *l, mdm_tensor *slot, mdm_tclass c, int64_t ne0, int64_t ne1, int64_t ne2,
                const char *fmt, ...) {
    mdm_tensor_spec spec, *s = &spec;
    memset(s, 0, sizeof *s);
    va_list ap;
    va_start(ap, fmt);
    mdm_vfmt(s->name, sizeof s->name, fmt, ap);
    va_end(ap);
    s->ne[0] = ne0;
    s->ne[1] = ne1;
    s->ne[2] = ne2;
    s->ne[3] = 1;
    s->n_dims = ne2 > 0 ? 3 : ne1 > 0 ? 2 : 1;
    for (int i = 1; i < 3; i++)
        if (s->ne[i] <= 0)
            s->ne[i] = 1;
    s->tclass = c;
    s->slot = slot;
    l->emit(l->user, s);
}

#define F MDM_TCLASS_F32
#define Q MDM_TCLASS_QUANT

static void add_time(list *l, mdm_time_mlp *t, int64_t d, const char *which) {
    add(l, &t->fc1_w, Q, 256, d, 0, "embed.%s.fc1.weight", which);
    add(l, &t->fc1_b, F, d, 0, 0, "embed.%s.fc1.bias", which);
    add(l, &t->fc2_w, Q, d, d, 0, "embed.%s.fc2.weight", which);
    add(l, &t->fc2_b, F, d, 0, 0, "embed.%s.fc2.bias", which);
}

static void add_layer(list *l, mdm_layer *y, const mdm_hparams *hp, int i) {
    int64_t d = hp->d_model, di = hp->d_inner, n = hp->d_state, r = hp->dt_rank;
    add(l, &y->norm, F, d, 0, 0, "backbone.layers.%d.norm.weight", i);
    add(l, &y->in_proj, Q, d, 2 * di, 0, "backbone.layers.%d.mixer.in_proj.weight", i);
    add(l, &y->conv1d_w, F, hp->d_conv, 1, di, "backbone.layers.%d.mixer.conv1d.weight", i);
    add(l, &y->conv1d_b, F, di, 0, 0, "backbone.layers.%d.mixer.conv1d.bias", i);
    add(l, &y->x_proj, Q, di, r + 2 * n, 0, "backbone.layers.%d.mixer.x_proj.weight", i);
    add(l, &y->dt_proj_w, F, r, di, 0, "backbone.layers.%d.mixer.dt_proj.weight", i);
    add(l, &y->dt_proj_b, F, di, 0, 0, "backbone.layers.%d.mixer.dt_proj.bias", i);
    add(l, &y->A_log, F, n, di, 0, "backbone.layers.%d.mixer.A_log", i);
    add(l, &y->D, F, di, 0, 0, "backbone.layers.%d.mixer.D", i);
    add(l, &y->out_proj, Q, di, d, 0, "backbone.layers.%d.mixer.out_proj.weight", i);
}

static void add_vae(list *l, mdm_vae_stack *v, const char *which) {
    for (int k = 0; k < v->n_blocks; k++) {
        mdm_vae_block *b = &v->blocks[k];
        switch (b->op) {
        case MDM_VAE_CONV: case MDM_VAE_DOWN: case MDM_VAE_UP:
            add(l, &b->w, Q, 9 * (int64_t)b->ci, b->co, 0, "vae.%s.%d.weight", which, k);
            add(l, &b->b, F, b->co, 0, 0, "vae.%s.%d.bias", which, k);
            break;
        case MDM_VAE_RES:
            add(l, &b->w, Q, 9 * (int64_t)b->ci, b->co, 0, "vae.%s.%d.conv1.weight", which, k);
            add(l, &b->b, F, b->co, 0, 0, "vae.%s.%d.conv1.bias", which, k);
            add(l, &b->w2, Q, 9 * (int64_t)b->ci, b->co, 0, "vae.%s.%d.conv2.weight", which, k);
            add(l, &b->b2, F, b->co, 0, 0, "vae.%s.%d.conv2.bias", which, k);
            break;
        case MDM_VAE_GN:
            add(l, &b->w, F, b->co, 0, 0, "vae.%s.%d.weight", which, k);
            add(l, &b->b, F, b->co, 0, 0, "vae.%s.%d.bias", which, k);
            break;
        case MDM_VAE_SILU: break;
        }
    }
}

void mdm_arch_each_tensor(mdm_model *m, void (*emit)(void *user, const mdm_tensor_spec *s),
                          void *user) {
    const mdm_hparams *hp = &m->hp;
    int64_t d = hp->d_model, v1 = (int64_t)hp->vocab_size + 1, pd = hp->patch_dim;
    list l = {emit, user};
    add(&l, &m->embed_image_w, F, pd, d, 0, "embed.image.weight");
    add(&l, &m->embed_image_b, F, d, 0, 0, "embed.image.bias");
    add(&l, &m->image_pos, F, d, hp->n_image_tokens, 0, "embed.image_pos");
    add(&l, &m->text_embed, F, d, v1, 0, "embed.text");
    add(&l, &m->text_pos, F, d, hp->text_len, 0, "embed.text_pos");
    add(&l, &m->task_embed, F, d, 4, 0, "embed.task");
    add_time(&l, &m->time_image, d, "time_image");
    add_time(&l, &m->time_text, d, "time_text");
    for (int i = 0; i < hp->n_layer; i++)
        add_layer(&l, &m->layers[i], hp, i);
    add(&l, &m->norm_f, F, d, 0, 0, "backbone.norm_f.weight");
    add(&l, &m->head_image_w, Q, d, pd, 0, "head.image.weight");
    add(&l, &m->head_image_b, F, pd, 0, 0, "head.image.bias");
    add(&l, &m->head_text_w, Q, d, v1, 0, "head.text.weight");
    add(&l, &m->head_text_b, F, v1, 0, 0, "head.text.bias");
    add_vae(&l, &m->vae_enc, "encoder");
    add_vae(&l, &m->vae_dec, "decoder");
}

typedef struct {
    mdm_tensor_spec *v; /* NULL: only count */
    size_t n;
} spec_array;

static void collect(void *user, const mdm_tensor_spec *s) {
    spec_array *a = user;
    if (a->v)
        a->v[a->n] = *s;
    a->n++;
}

mdm_status mdm_arch_tensors(mdm_model *m, mdm_tensor_spec **out, size_t *n) {
    spec_array a = {NULL, 0};
    mdm_arch_each_tensor(m, collect, &a); /* count, then fill */
    if (!(a.v = mdm_port_alloc((a.n + 1) * sizeof *a.v))) /* + room to add one (tests edit lists) */
        return MDM_ERR_NO_MEMORY;
    a.n = 0;
    mdm_arch_each_tensor(m, collect, &a);
    *out = a.v;
    *n = a.n;
    return MDM_OK;
}

int mdm_arch_type_allowed(const mdm_tensor_spec *s, mdm_type t) {
    if (t == MDM_TYPE_F32)
        return 1;
    if (s->tclass == MDM_TCLASS_F32)
        return 0;
    if (t == MDM_TYPE_F16)
        return 1;
    return (t == MDM_TYPE_Q8_0 || t == MDM_TYPE_Q4_0) && s->ne[0] % MDM_QK == 0;
}

mdm_type mdm_arch_pick_type(const mdm_tensor_spec *s, mdm_type requested) {
    /* Rows that are not whole blocks stay F32 at every level (spec §7). */
    if (s->tclass == MDM_TCLASS_F32 || s->ne[0] % MDM_QK != 0)
        return MDM_TYPE_F32;
    return requested;
}

uint32_t mdm_file_type_of(mdm_type t) {
    switch (t) {
    case MDM_TYPE_F32: return 0;
    case MDM_TYPE_F16: return 1;
    case MDM_TYPE_Q4_0: return 2;
    case MDM_TYPE_Q8_0: return 7;
    }
    return 0;
}

const mdm_hparam_int mdm_hparam_ints[MDM_N_HPARAM_INTS] = {
#define I(k, f) {"mdm." k, offsetof(mdm_hparams, f)}
    I("image_size", image_size), I("image_channels", image_channels),
    I("vae_factor", vae_factor), I("latent_channels", latent_channels),
    I("patch_size", patch_size), I("text_len", text_len), I("vocab_size", vocab_size),
    I("d_model", d_model), I("n_layer", n_layer), I("expand", expand),
    I("d_state", d_state), I("d_conv", d_conv), I("dt_rank", dt_rank),
#undef I
};
