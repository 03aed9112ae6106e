/* safetensors reader (see safetensors.h): every offset and size is checked
 * against the buffer before a tensor is handed out. */
#include "safetensors.h"
#include "kernels/quant.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mdm_status bad(char *err, size_t len, mdm_status st, const char *fmt, ...) {
    if (err && len) {
        int k = snprintf(err, len, "%s: ", mdm_strerror(st));
        if (k > 0 && (size_t)k < len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + k, len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return st;
}

static int cmp_begin(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->data != y->data)
        return x->data < y->data ? -1 : 1;
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes); /* empty tensors first */
}

static mdm_status parse_entry(st_tensor *t, const char *name, const json_value *e,
                              const uint8_t *base, uint64_t data_size, char *err, size_t len) {
    const mdm_status B = MDM_ERR_BAD_SAFETENSORS;
    const json_value *dt = json_get(e, "dtype"), *sh = json_get(e, "shape"),
                     *off = json_get(e, "data_offsets");
    t->name = name;
    if (e->kind != JSON_OBJECT || e->n != 3 || !dt || !sh || !off)
        return bad(err, len, B, "%.80s: need exactly dtype, shape, data_offsets", name);
    if (dt->kind != JSON_STRING)
        return bad(err, len, B, "%.80s: dtype is not a string", name);
    size_t es;
    if (strcmp(dt->str, "F32") == 0) { t->dtype = ST_F32; es = 4; }
    else if (strcmp(dt->str, "F16") == 0) { t->dtype = ST_F16; es = 2; }
    else if (strcmp(dt->str, "BF16") == 0) { t->dtype = ST_BF16; es = 2; }
    else
        return bad(err, len, MDM_ERR_UNSUPPORTED, "%.80s: dtype \"%.16s\" (need F32, F16, BF16)",
                   name, dt->str);
    if (sh->kind != JSON_ARRAY || sh->n > ST_MAX_RANK)
        return bad(err, len, B, "%.80s: shape is not an array of at most %d dims", name,
                   ST_MAX_RANK);
    t->rank = (int)sh->n;
    t->count = 1;
    for (size_t i = 0; i < sh->n; i++) {
        const json_value *d = &sh->items[i];
        if (d->kind != JSON_NUMBER || !d->is_int || d->i < 0)
            return bad(err, len, B, "%.80s: shape[%zu] is not a non-negative integer", name, i);
        t->shape[i] = d->i;
        if (d->i && t->count > UINT64_MAX / (uint64_t)d->i / es)
            return bad(err, len, B, "%.80s: size overflows", name);
        t->count *= (uint64_t)d->i;
    }
    if (off->kind != JSON_ARRAY || off->n != 2 || off->items[0].kind != JSON_NUMBER ||
        off->items[1].kind != JSON_NUMBER || !off->items[0].is_int || !off->items[1].is_int ||
        off->items[0].i < 0 || off->items[1].i < off->items[0].i)
        return bad(err, len, B, "%.80s: data_offsets is not [begin, end] with begin <= end", name);
    uint64_t b = (uint64_t)off->items[0].i, e2 = (uint64_t)off->items[1].i;
    if (e2 > data_size)
        return bad(err, len, B, "%.80s: data_offsets end %llu beyond the %llu-byte buffer", name,
                   (unsigned long long)e2, (unsigned long long)data_size);
    t->nbytes = e2 - b;
    if (t->nbytes != t->count * es)
        return bad(err, len, B, "%.80s: %llu bytes for %llu %s values", name,
                   (unsigned long long)t->nbytes, (unsigned long long)t->count, dt->str);
    t->data = base + b;
    return MDM_OK;
}

static mdm_status check_metadata(const json_value *m, char *err, size_t len) {
    if (m->kind != JSON_OBJECT)
        return bad(err, len, MDM_ERR_BAD_SAFETENSORS, "__metadata__ is not an object");
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i].kind != JSON_STRING)
            return bad(err, len, MDM_ERR_BAD_SAFETENSORS, "__metadata__ values must be strings");
    return MDM_OK;
}

/* Tensors must tile the data buffer: sorted by begin, each starts where the
 * previous ends, and the last ends at the buffer's end. */
static mdm_status check_tiling(st_file *f, const uint8_t *base, uint64_t data_size, char *err,
                               size_t len) {
    st_tensor **by = malloc((f->n ? f->n : 1) * sizeof *by);
    if (!by)
        return MDM_ERR_NO_MEMORY;
    for (size_t i = 0; i < f->n; i++)
        by[i] = &f->tensors[i];
    qsort(by, f->n, sizeof *by, cmp_begin);
    const uint8_t *at = base;
    mdm_status st = MDM_OK;
    for (size_t i = 0; i < f->n && st == MDM_OK; i++) {
        if (by[i]->data != at)
            st = bad(err, len, MDM_ERR_BAD_SAFETENSORS, "%.80s: data %s the previous tensor's",
                     by[i]->name, by[i]->data < at ? "overlaps" : "leaves a gap after");
        at = by[i]->data + by[i]->nbytes;
    }
    if (st == MDM_OK && (uint64_t)(at - base) != data_size)
        st = bad(err, len, MDM_ERR_BAD_SAFETENSORS, "%llu bytes after the last tensor",
                 (unsigned long long)(data_size - (uint64_t)(at - base)));
    free(by);
    return st;
}

mdm_status st_open(st_file *f, const void *data, size_t size, char *err, size_t len) {
    const uint8_t *p = data;
    memset(f, 0, sizeof *f);
    if (size < 8)
        return bad(err, len, MDM_ERR_BAD_SAFETENSORS, "shorter than the 8-byte header length");
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--)
        hn = hn << 8 | p[i];
    if (hn > ST_MAX_HEADER || hn > size - 8)
        return bad(err, len, MDM_ERR_BAD_SAFETENSORS, "header length %llu for a %zu-byte file",
                   (unsigned long long)hn, size);
    char jerr[160];
    mdm_status st = json_parse((const char *)p + 8, (size_t)hn, &f->header, jerr, sizeof jerr);
    if (st != MDM_OK)
        return bad(err, len, st == MDM_ERR_BAD_JSON ? MDM_ERR_BAD_SAFETENSORS : st,
                   "header: %s", jerr);
    if (f->header->kind != JSON_OBJECT) {
        st_close(f);
        return bad(err, len, MDM_ERR_BAD_SAFETENSORS, "header is not a JSON object");
    }
    const uint8_t *base = p + 8 + hn;
    uint64_t data_size = size - 8 - hn;
    f->tensors = calloc(f->header->n ? f->header->n : 1, sizeof *f->tensors);
    if (!f->tensors) {
        st_close(f);
        return MDM_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < f->header->n && st == MDM_OK; i++) {
        const char *name = f->header->keys[i];
        if (strcmp(name, "__metadata__") == 0)
            st = check_metadata(&f->header->items[i], err, len);
        else if (strlen(name) != f->header->key_lens[i] || !name[0])
            st = bad(err, len, MDM_ERR_BAD_SAFETENSORS, "empty tensor name or NUL in name");
        else
            st = parse_entry(&f->tensors[f->n++], name, &f->header->items[i], base, data_size,
                             err, len);
    }
    if (st == MDM_OK)
        st = check_tiling(f, base, data_size, err, len);
    if (st != MDM_OK)
        st_close(f);
    return st;
}

void st_close(st_file *f) {
    json_free(f->header);
    free(f->tensors);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

float st_get(const st_tensor *t, uint64_t i) {
    const uint8_t *q = t->data;
    uint32_t u;
    float v;
    switch (t->dtype) {
    case ST_F32:
        memcpy(&v, q + 4 * i, 4);
        return v;
    case ST_F16:
        return mdm_f16_to_f32((uint16_t)(q[2 * i] | q[2 * i + 1] << 8));
    case ST_BF16:
        u = (uint32_t)(q[2 * i] | q[2 * i + 1] << 8) << 16;
        memcpy(&v, &u, 4);
        return v;
    }
    return 0.0f;
}
