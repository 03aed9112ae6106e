/* Binds every tensor the hyper-parameters imply to its view in the model:
 * present, of an allowed type, of exactly the expected shape, and no tensor
 * in the file that the model does not use. */
#include "model/arch.h"
#include "model/errmsg.h"
#include "model/loader.h"
#include "fmt.h"

static void shape_str(char *buf, size_t len, int n_dims, const int64_t *ne) {
    int k = mdm_fmt(buf, len, "{");
    for (int i = 0; i < n_dims && k > 0 && (size_t)k < len; i++)
        k += mdm_fmt(buf + k, len - (size_t)k, i ? ", %lld" : "%lld", (long long)ne[i]);
    if (k > 0 && (size_t)k < len)
        mdm_fmt(buf + k, len - (size_t)k, "}");
}

static mdm_status bind_one(const mdm_gguf *g, const mdm_tensor_spec *s, unsigned char *used,
                           char *err, size_t len) {
    long idx = mdm_gguf_find_tensor(g, s->name);
    if (idx < 0)
        return mdm_err(err, len, MDM_ERR_MISSING_TENSOR, "%s", s->name);
    const mdm_gguf_tensor *t = &g->tensors[idx];
    used[idx] = 1;
    if (!mdm_arch_type_allowed(s, (mdm_type)t->type))
        return mdm_err(err, len, MDM_ERR_BAD_TENSOR_TYPE, "%s is %s, allowed: %s", s->name,
                       mdm_type_name((mdm_type)t->type),
                       s->tclass == MDM_TCLASS_F32 ? "f32"
                       : s->ne[0] % MDM_QK ? "f32, f16"
                                           : "f32, f16, q8_0, q4_0");
    int same = (int)t->n_dims == s->n_dims;
    for (int i = 0; i < 4 && same; i++)
        same = t->ne[i] == s->ne[i];
    if (!same) {
        char want[96], got[96];
        shape_str(want, sizeof want, s->n_dims, s->ne);
        shape_str(got, sizeof got, (int)t->n_dims, t->ne);
        return mdm_err(err, len, MDM_ERR_BAD_SHAPE, "%s is %s, need %s (GGUF order)", s->name,
                       got, want);
    }
    mdm_tensor *v = s->slot;
    v->data = t->data;
    v->type = (mdm_type)t->type;
    v->n_dims = (int)t->n_dims;
    for (int i = 0; i < 4; i++)
        v->ne[i] = t->ne[i];
    v->nbytes = (size_t)t->nbytes;
    return MDM_OK;
}

typedef struct {
    const mdm_gguf *g;
    unsigned char *used;
    char *err;
    size_t len;
    mdm_status st; /* the first failure; later specs are skipped */
} binder;

static void bind_next(void *user, const mdm_tensor_spec *s) {
    binder *b = user;
    if (b->st == MDM_OK)
        b->st = bind_one(b->g, s, b->used, b->err, b->len);
}

mdm_status mdm_bind_tensors(const mdm_gguf *g, mdm_model *m, char *err, size_t len) {
    m->layers = mdm_alloc_zero(&m->al, (size_t)m->hp.n_layer, sizeof *m->layers);
    unsigned char *used = m->layers ? mdm_alloc_zero(&m->al, (size_t)g->n_tensors + 1, 1) : NULL;
    binder b = {g, used, err, len, MDM_OK};
    if (!used)
        b.st = mdm_err(err, len, MDM_ERR_NO_MEMORY, "binding tensors");
    else
        mdm_arch_each_tensor(m, bind_next, &b);
    for (uint64_t i = 0; b.st == MDM_OK && i < g->n_tensors; i++)
        if (!used[i])
            b.st = mdm_err(err, len, MDM_ERR_BAD_TENSOR_NAME, "%s is not a tensor of this model",
                           g->tensors[i].name);
    mdm_free(&m->al, used);
    return b.st;
}
