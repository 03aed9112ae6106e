/* A reference checkpoint (docs/MODEL.md): config.json, vocab.tsv and
 * model.safetensors, all validated before anything is written: every tensor
 * the config implies present with its PyTorch shape, and no other. */
#include "convert.h"
#include "model/errmsg.h"
#include "port.h"
#include "safetensors.h"
#include "text/vocab_tsv.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mdm_port_mapping map;
    st_file st;
} ckpt_ctx;

static mdm_status read_file(const char *dir, const char *name, mdm_port_mapping *m, char *err,
                            size_t len) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return mdm_err(err, len, MDM_ERR_INVALID_ARG, "path too long");
    mdm_status st = mdm_port_map_file(path, m);
    if (st != MDM_OK)
        return mdm_err(err, len, st, "cannot read %s", path);
    return MDM_OK;
}

static mdm_status get_int(const json_value *o, const char *ctx, const char *key, int *out,
                          char *err, size_t len) {
    const json_value *v = json_get(o, key);
    if (!v)
        return mdm_err(err, len, MDM_ERR_MISSING_KEY, "config.json: %s%s", ctx, key);
    if (v->kind != JSON_NUMBER || !v->is_int || v->i < -1000000000 || v->i > 1000000000)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json: %s%s is not an integer", ctx,
                       key);
    *out = (int)v->i;
    return MDM_OK;
}

static mdm_status get_num(const json_value *o, const char *ctx, const char *key, float *out,
                          char *err, size_t len) {
    const json_value *v = json_get(o, key);
    if (!v)
        return mdm_err(err, len, MDM_ERR_MISSING_KEY, "config.json: %s%s", ctx, key);
    if (v->kind != JSON_NUMBER)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json: %s%s is not a number", ctx, key);
    *out = (float)v->num;
    return MDM_OK;
}

static mdm_status get_blocks(const json_value *vae, const char *key, mdm_vae_stack *s, char *err,
                             size_t len) {
    const json_value *a = json_get(vae, key);
    if (!a || a->kind != JSON_ARRAY || a->n < 1 || a->n > MDM_VAE_MAX_BLOCKS)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE,
                       "config.json: vae.%s is not an array of 1..%d strings", key,
                       MDM_VAE_MAX_BLOCKS);
    s->n_blocks = (int)a->n;
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i].kind != JSON_STRING ||
            mdm_vae_parse_block(a->items[i].str, a->items[i].len, &s->blocks[i]) != MDM_OK)
            return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json: vae.%s[%zu] is not a block",
                           key, i);
    return MDM_OK;
}

static mdm_status read_config(cv_source *src, const json_value *c, char *err, size_t len) {
    mdm_hparams *hp = &src->m.hp;
    if (c->kind != JSON_OBJECT)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json is not an object");
    const json_value *arch = json_get(c, "architecture"), *preset = json_get(c, "preset");
    if (arch && (arch->kind != JSON_STRING || strcmp(arch->str, "mdm") != 0))
        return mdm_err(err, len, MDM_ERR_BAD_ARCH, "config.json: architecture is not \"mdm\"");
    snprintf(src->name, sizeof src->name, "mdm-%.40s",
             preset && preset->kind == JSON_STRING ? preset->str : "checkpoint");
    static const struct { const char *key; size_t off; } ints[] = {
#define I(k, f) {k, offsetof(mdm_hparams, f)}
        I("image_size", image_size), I("image_channels", image_channels),
        I("vae_factor", vae_factor), I("latent_channels", latent_channels),
        I("patch_size", patch_size), I("text_len", text_len), I("vocab_size", vocab_size),
        I("d_model", d_model), I("n_layer", n_layer), I("expand", expand),
        I("d_state", d_state), I("d_conv", d_conv), I("dt_rank", dt_rank),
#undef I
    };
    mdm_status st;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if ((st = get_int(c, "", ints[i].key, (int *)((char *)hp + ints[i].off), err, len)))
            return st;
    const json_value *vae = json_get(c, "vae"), *tok = json_get(c, "tokenizer"),
                     *so = json_get(c, "scan_orders");
    if (!vae || vae->kind != JSON_OBJECT || !tok || tok->kind != JSON_OBJECT)
        return mdm_err(err, len, MDM_ERR_MISSING_KEY, "config.json: vae or tokenizer object");
    if ((st = get_num(c, "", "norm_eps", &hp->norm_eps, err, len)) ||
        (st = get_num(vae, "vae.", "scaling_factor", &hp->vae_scaling_factor, err, len)) ||
        (st = get_num(vae, "vae.", "gn_eps", &hp->vae_gn_eps, err, len)) ||
        (st = get_blocks(vae, "encoder", &src->m.vae_enc, err, len)) ||
        (st = get_blocks(vae, "decoder", &src->m.vae_dec, err, len)) ||
        (st = get_int(tok, "tokenizer.", "pad_id", &src->pad_id, err, len)) ||
        (st = get_int(tok, "tokenizer.", "unk_id", &src->unk_id, err, len)) ||
        (st = get_int(tok, "tokenizer.", "eos_id", &src->eos_id, err, len)))
        return st;
    for (int i = 0; i < 4; i++) /* optional; the spec's default is l mod 4 */
        hp->scan_orders[i] = i;
    if (so) {
        if (so->kind != JSON_ARRAY || so->n != 4)
            return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json: scan_orders needs 4 entries");
        for (int i = 0; i < 4; i++) {
            if (so->items[i].kind != JSON_NUMBER || !so->items[i].is_int)
                return mdm_err(err, len, MDM_ERR_BAD_VALUE, "config.json: scan_orders[%d]", i);
            hp->scan_orders[i] = (int)(so->items[i].i & 0xff) == so->items[i].i
                                     ? (int)so->items[i].i : -1;
        }
    }
    return cv_check_model(src, err, len);
}

/* vocab.tsv: exactly vocab_size lines "piece<TAB>score<TAB>type", read
 * by the project's one vocab.tsv parser (text/vocab_tsv.h). */
static mdm_status read_vocab(cv_source *src, const char *p, size_t n, char *err, size_t len) {
    mdm_status st = cv_alloc_vocab(src, src->m.hp.vocab_size);
    if (st != MDM_OK)
        return st;
    size_t lines = 0;
    st = mdm_vocab_tsv_parse(p, n, NULL, NULL, NULL, NULL, 0, &lines);
    if (st != MDM_ERR_BUFFER_TOO_SMALL && st != MDM_OK)
        return mdm_err(err, len, st, "vocab.tsv");
    if (lines != (size_t)src->n_vocab)
        return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "vocab.tsv has %zu lines, vocab_size is %d",
                       lines, src->n_vocab);
    const char **piece = malloc((lines ? lines : 1) * sizeof *piece);
    uint32_t *plen = malloc((lines ? lines : 1) * sizeof *plen);
    st = piece && plen ? mdm_vocab_tsv_parse(p, n, piece, plen, src->scores, src->types, lines,
                                             &lines)
                       : MDM_ERR_NO_MEMORY;
    if (st == MDM_ERR_BAD_VOCAB)
        mdm_err(err, len, st, "vocab.tsv line %zu: need piece<TAB>score<TAB>type, a finite "
                "score and a type 1..6", lines + 1);
    for (size_t i = 0; st == MDM_OK && i < lines; i++) {
        /* pieces become C strings in the model file's token list */
        if (plen[i] > 1000 || memchr(piece[i], 0, plen[i]))
            st = mdm_err(err, len, MDM_ERR_BAD_VOCAB, "vocab.tsv line %zu: piece too long or "
                         "holds a NUL byte", i + 1);
        else if (!(src->pieces[i] = strndup(piece[i], plen[i])))
            st = mdm_err(err, len, MDM_ERR_NO_MEMORY, "vocab.tsv line %zu", i + 1);
    }
    free(piece), free(plen);
    return st;
}

static mdm_status fill_ckpt(cv_source *src, const mdm_tensor_spec *s, float *x, size_t n,
                            char *err, size_t len) {
    const ckpt_ctx *c = src->ctx;
    const st_tensor *t = st_find(&c->st, s->name);
    if (!t || t->count != n)
        return mdm_err(err, len, MDM_ERR_INTERNAL, "%s", s->name);
    for (size_t i = 0; i < n; i++)
        x[i] = st_get(t, i);
    return MDM_OK;
}

static void close_ckpt(cv_source *src) {
    ckpt_ctx *c = src->ctx;
    if (c) {
        st_close(&c->st);
        mdm_port_unmap_file(&c->map);
        free(c);
    }
    src->ctx = NULL;
}

/* Missing, extra and misshapen tensors, before anything is written. */
static mdm_status check_tensors(cv_source *src, const st_file *st, char *err, size_t len) {
    mdm_tensor_spec *specs;
    size_t n;
    mdm_status r = mdm_arch_tensors(&src->m, &specs, &n);
    if (r != MDM_OK)
        return r;
    for (size_t i = 0; i < n && r == MDM_OK; i++) {
        const st_tensor *t = st_find(st, specs[i].name);
        int64_t shape[4];
        int rank = cv_torch_shape(&specs[i], shape);
        if (!t) {
            r = mdm_err(err, len, MDM_ERR_MISSING_TENSOR, "model.safetensors has no %s",
                        specs[i].name);
            break;
        }
        int same = t->rank == rank;
        for (int d = 0; d < rank && same; d++)
            same = t->shape[d] == shape[d];
        if (!same) {
            char want[80] = "[", got[80] = "[";
            for (int d = 0; d < rank; d++)
                snprintf(want + strlen(want), sizeof want - strlen(want), d ? ", %lld" : "%lld",
                         (long long)shape[d]);
            for (int d = 0; d < t->rank; d++)
                snprintf(got + strlen(got), sizeof got - strlen(got), d ? ", %lld" : "%lld",
                         (long long)t->shape[d]);
            r = mdm_err(err, len, MDM_ERR_BAD_SHAPE, "%s is %s], config.json implies %s]",
                        specs[i].name, got, want);
        }
    }
    for (size_t i = 0; i < st->n && r == MDM_OK; i++) {
        size_t j = 0;
        while (j < n && strcmp(specs[j].name, st->tensors[i].name) != 0)
            j++;
        if (j == n)
            r = mdm_err(err, len, MDM_ERR_BAD_TENSOR_NAME,
                        "model.safetensors has %.80s, which config.json does not imply",
                        st->tensors[i].name);
    }
    free(specs);
    return r;
}

mdm_status cv_checkpoint(cv_source *src, const char *dir, char *err, size_t len) {
    memset(src, 0, sizeof *src);
    ckpt_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return MDM_ERR_NO_MEMORY;
    src->ctx = c;
    src->fill = fill_ckpt;
    src->close = close_ckpt;
    mdm_port_mapping cfg = {0}, voc = {0};
    json_value *j = NULL;
    char jerr[160];
    mdm_status st = read_file(dir, "config.json", &cfg, err, len);
    if (st == MDM_OK && (st = json_parse(cfg.data, cfg.size, &j, jerr, sizeof jerr)) != MDM_OK)
        if (err && len)
            snprintf(err, len, "config.json: %s", jerr);
    if (st == MDM_OK)
        st = read_config(src, j, err, len);
    if (st == MDM_OK && (st = read_file(dir, "vocab.tsv", &voc, err, len)) == MDM_OK)
        st = read_vocab(src, voc.data, voc.size, err, len);
    if (st == MDM_OK && (st = read_file(dir, "model.safetensors", &c->map, err, len)) == MDM_OK) {
        char serr[200];
        if ((st = st_open(&c->st, c->map.data, c->map.size, serr, sizeof serr)) != MDM_OK)
            if (err && len)
                snprintf(err, len, "model.safetensors: %s", serr);
    }
    if (st == MDM_OK)
        st = check_tensors(src, &c->st, err, len);
    json_free(j);
    mdm_port_unmap_file(&cfg);
    mdm_port_unmap_file(&voc);
    return st;
}
