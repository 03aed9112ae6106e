/* Lookups into a parsed GGUF: binary search over the sorted indices, and
 * typed getters whose errors name the key. */
#include "model/errmsg.h"
#include "model/gguf.h"
#include <string.h>

const mdm_gguf_kv *mdm_gguf_find_kv(const mdm_gguf *g, const char *key) {
    size_t lo = 0, hi = (size_t)g->n_kv;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const mdm_gguf_kv *kv = &g->kv[g->kv_sorted[mid]];
        int c = strcmp(kv->key, key);
        if (c == 0)
            return kv;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

long mdm_gguf_find_tensor(const mdm_gguf *g, const char *name) {
    size_t lo = 0, hi = (size_t)g->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        long idx = (long)g->tensor_sorted[mid];
        int c = strcmp(g->tensors[idx].name, name);
        if (c == 0)
            return idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static mdm_status get(const mdm_gguf *g, const char *key, uint32_t type, const mdm_gguf_kv **kv,
                      char *err, size_t len) {
    *kv = mdm_gguf_find_kv(g, key);
    if (!*kv)
        return mdm_err(err, len, MDM_ERR_MISSING_KEY, "%s", key);
    if ((*kv)->type != type)
        return mdm_err(err, len, MDM_ERR_BAD_KEY_TYPE, "%s: type %" PRIu32 ", need %" PRIu32, key, (*kv)->type,
                       type);
    return MDM_OK;
}

mdm_status mdm_gguf_get_u32(const mdm_gguf *g, const char *key, uint32_t *out, char *err,
                            size_t len) {
    const mdm_gguf_kv *kv;
    mdm_status st = get(g, key, MDM_GGUF_UINT32, &kv, err, len);
    if (st == MDM_OK)
        *out = mdm_gguf_rd_u32(kv->val);
    return st;
}

mdm_status mdm_gguf_get_f32(const mdm_gguf *g, const char *key, float *out, char *err,
                            size_t len) {
    const mdm_gguf_kv *kv;
    mdm_status st = get(g, key, MDM_GGUF_FLOAT32, &kv, err, len);
    if (st == MDM_OK)
        *out = mdm_gguf_rd_f32(kv->val);
    return st;
}

mdm_status mdm_gguf_get_str(const mdm_gguf *g, const char *key, const char **s, uint64_t *n,
                            char *err, size_t len) {
    const mdm_gguf_kv *kv;
    mdm_status st = get(g, key, MDM_GGUF_STRING, &kv, err, len);
    if (st == MDM_OK) {
        *n = mdm_gguf_rd_u64(kv->val);
        *s = (const char *)kv->val + 8;
    }
    return st;
}

mdm_status mdm_gguf_get_arr(const mdm_gguf *g, const char *key, uint32_t elem_type,
                            const mdm_gguf_kv **kv, char *err, size_t len) {
    mdm_status st = get(g, key, MDM_GGUF_ARRAY, kv, err, len);
    if (st == MDM_OK && (*kv)->arr_type != elem_type)
        return mdm_err(err, len, MDM_ERR_BAD_KEY_TYPE, "%s: array of type %" PRIu32 ", need %" PRIu32, key,
                       (*kv)->arr_type, elem_type);
    return st;
}
