/* Reads the hyper-parameter keys (docs/FORMAT.md) and the VAE block lists
 * from a parsed GGUF into the model. */
#include "model/arch.h"
#include "model/errmsg.h"
#include "model/gguf.h"
#include "model/loader.h"
#include <limits.h>
#include <string.h>

static mdm_status get_int(const mdm_gguf *g, const char *key, int *out, char *err, size_t len) {
    uint32_t v;
    mdm_status st = mdm_gguf_get_u32(g, key, &v, err, len);
    if (st == MDM_OK && v > INT_MAX)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "%s = %" PRIu32, key, v);
    *out = (int)v;
    return st;
}

static mdm_status read_vae(const mdm_gguf *g, const mdm_hparams *hp, mdm_vae_stack *v,
                           int decoder, char *err, size_t len) {
    const char *key = decoder ? "mdm.vae.decoder" : "mdm.vae.encoder";
    const mdm_gguf_kv *kv;
    mdm_status st = mdm_gguf_get_arr(g, key, MDM_GGUF_STRING, &kv, err, len);
    if (st != MDM_OK)
        return st;
    if (kv->arr_n < 1 || kv->arr_n > MDM_VAE_MAX_BLOCKS)
        return mdm_err(err, len, MDM_ERR_BAD_ARRAY, "%s: %llu blocks (1..%d)", key,
                       (unsigned long long)kv->arr_n, MDM_VAE_MAX_BLOCKS);
    v->n_blocks = (int)kv->arr_n;
    const uint8_t *p = kv->val; /* strings were bounds-checked by the parser */
    for (int i = 0; i < v->n_blocks; i++) {
        uint64_t n = mdm_gguf_rd_u64(p);
        if (mdm_vae_parse_block((const char *)p + 8, (size_t)n, &v->blocks[i]) != MDM_OK) {
            char s[40];
            mdm_err_name(s, sizeof s, (const char *)p + 8, (size_t)n);
            return mdm_err(err, len, MDM_ERR_BAD_VALUE, "%s[%d] = \"%s\"", key, i, s);
        }
        p += 8 + n;
    }
    return mdm_vae_check(hp, v, decoder, err, len);
}

mdm_status mdm_read_hparams(const mdm_gguf *g, mdm_model *m, char *err, size_t len) {
    mdm_hparams *hp = &m->hp;
    const char *s;
    uint64_t n;
    uint32_t version;
    mdm_status st = mdm_gguf_get_str(g, "general.architecture", &s, &n, err, len);
    if (st != MDM_OK)
        return st;
    if (n != 3 || memcmp(s, "mdm", 3) != 0) {
        char a[40];
        mdm_err_name(a, sizeof a, s, (size_t)n);
        return mdm_err(err, len, MDM_ERR_BAD_ARCH, "general.architecture = \"%s\"", a);
    }
    if ((st = mdm_gguf_get_u32(g, "mdm.format_version", &version, err, len)))
        return st;
    if (version != MDM_FORMAT_VERSION)
        return mdm_err(err, len, MDM_ERR_BAD_FORMAT_VERSION, "mdm.format_version = %" PRIu32 " (need %d)",
                       version, MDM_FORMAT_VERSION);
    if ((st = mdm_gguf_get_u32(g, "general.file_type", &m->file_type, err, len)))
        return st;
    if (m->file_type != 0 && m->file_type != 1 && m->file_type != 2 && m->file_type != 7)
        return mdm_err(err, len, MDM_ERR_BAD_VALUE, "general.file_type = %" PRIu32, m->file_type);
    for (size_t i = 0; i < MDM_N_HPARAM_INTS; i++) {
        const mdm_hparam_int *k = &mdm_hparam_ints[i];
        if ((st = get_int(g, k->key, (int *)((char *)hp + k->off), err, len)))
            return st;
    }
    if ((st = mdm_gguf_get_f32(g, "mdm.norm_eps", &hp->norm_eps, err, len)) ||
        (st = mdm_gguf_get_f32(g, "mdm.vae.scaling_factor", &hp->vae_scaling_factor, err, len)) ||
        (st = mdm_gguf_get_f32(g, "mdm.vae.gn_eps", &hp->vae_gn_eps, err, len)))
        return st;
    const mdm_gguf_kv *kv;
    if ((st = mdm_gguf_get_arr(g, "mdm.scan_orders", MDM_GGUF_INT32, &kv, err, len)))
        return st;
    if (kv->arr_n != 4)
        return mdm_err(err, len, MDM_ERR_BAD_ARRAY, "mdm.scan_orders: %llu entries, need 4",
                       (unsigned long long)kv->arr_n);
    for (int i = 0; i < 4; i++)
        hp->scan_orders[i] = (int32_t)mdm_gguf_rd_u32(kv->val + 4 * i);
    if ((st = mdm_hparams_finish(hp, err, len)) ||
        (st = read_vae(g, hp, &m->vae_enc, 0, err, len)) ||
        (st = read_vae(g, hp, &m->vae_dec, 1, err, len)))
        return st;
    return MDM_OK;
}
