/* Golden tensors from tools/reference/golden.py: a small safetensors reader
 * for tests (header-only).  tools/convert/safetensors.h reads only float
 * dtypes; golden files also hold I32/I64/U8, so this reads any of those and
 * hands out malloc'd float or int64 copies.  The JSON header is parsed with
 * the converter's json.h (linked into tests via libconvert.a). */
#ifndef MDM_TESTS_GOLDEN_IO_H
#define MDM_TESTS_GOLDEN_IO_H
#include "../tools/convert/json.h"
#include "kernels/quant.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *buf;
    size_t size;
    json_value *hdr;
    const uint8_t *data; /* start of the data buffer */
} golden_file;

/* 0 on success; on failure (file missing or malformed) -1 and g is empty. */
static int golden_open(golden_file *g, const char *path) {
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (sz < 8 || !(g->buf = malloc((size_t)sz)) || fread(g->buf, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(g->buf);
        g->buf = NULL;
        return -1;
    }
    fclose(f);
    g->size = (size_t)sz;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | g->buf[i];
    char err[128];
    if (n > g->size - 8 || json_parse((const char *)g->buf + 8, (size_t)n, &g->hdr, err,
                                      sizeof err) != MDM_OK) {
        free(g->buf);
        g->buf = NULL;
        return -1;
    }
    g->data = g->buf + 8 + n;
    return 0;
}

static void golden_close(golden_file *g) {
    json_free(g->hdr);
    free(g->buf);
    memset(g, 0, sizeof *g);
}

/* Raw view of a tensor: its dtype string, element count and bytes. */
static const uint8_t *golden_raw(const golden_file *g, const char *name, const char **dtype,
                                 size_t *count, size_t *esize) {
    const json_value *e = g->hdr ? json_get(g->hdr, name) : NULL;
    if (!e)
        return NULL;
    const json_value *dt = json_get(e, "dtype"), *sh = json_get(e, "shape"),
                     *off = json_get(e, "data_offsets");
    if (!dt || dt->kind != JSON_STRING || !sh || sh->kind != JSON_ARRAY || !off ||
        off->kind != JSON_ARRAY || off->n != 2)
        return NULL;
    size_t cnt = 1, es;
    for (size_t i = 0; i < sh->n; i++)
        cnt *= (size_t)sh->items[i].i;
    if (!strcmp(dt->str, "F32") || !strcmp(dt->str, "I32")) es = 4;
    else if (!strcmp(dt->str, "I64")) es = 8;
    else if (!strcmp(dt->str, "F16")) es = 2;
    else if (!strcmp(dt->str, "U8")) es = 1;
    else return NULL;
    size_t b = (size_t)off->items[0].i, end = (size_t)off->items[1].i;
    if (end < b || end - b != cnt * es || end > g->size - (size_t)(g->data - g->buf))
        return NULL;
    *dtype = dt->str;
    *count = cnt;
    *esize = es;
    return g->data + b;
}

static int64_t golden_le(const uint8_t *p, size_t es) {
    uint64_t v = 0;
    for (size_t i = es; i-- > 0;)
        v = v << 8 | p[i];
    if (es == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* Float copy of a float tensor (F32 or F16), or NULL.  *count if non-NULL. */
static float *golden_f32(const golden_file *g, const char *name, size_t *count) {
    const char *dt;
    size_t n, es;
    const uint8_t *p = golden_raw(g, name, &dt, &n, &es);
    if (!p || (strcmp(dt, "F32") && strcmp(dt, "F16")))
        return NULL;
    float *out = malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        if (es == 4) {
            uint32_t u = (uint32_t)golden_le(p + 4 * i, 4);
            memcpy(&out[i], &u, 4);
        } else {
            out[i] = mdm_f16_to_f32((uint16_t)golden_le(p + 2 * i, 2));
        }
    }
    if (count)
        *count = n;
    return out;
}

/* int64 copy of an integer tensor (I32, I64, U8), or NULL. */
static int64_t *golden_int(const golden_file *g, const char *name, size_t *count) {
    const char *dt;
    size_t n, es;
    const uint8_t *p = golden_raw(g, name, &dt, &n, &es);
    if (!p || dt[0] == 'F')
        return NULL;
    int64_t *out = malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = es == 1 ? p[i] : golden_le(p + es * i, es);
    if (count)
        *count = n;
    return out;
}
#endif
