/* Helpers for the runtime tests: the golden random model converted in
 * memory with mdm-convert's own code, and a reader for golden.safetensors
 * (its U8/I32/I64 tensors are beyond the converter's F32/F16/BF16 reader). */
#ifndef MDM_TEST_RUNTIME_UTIL_H
#define MDM_TEST_RUNTIME_UTIL_H
#include "tools/convert/convert.h"
#include "tools/convert/json.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR "tests/golden/random"

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)n + 1)) && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* The golden checkpoint as a model file of one weight type, in memory. */
static uint8_t *golden_model(mdm_type type, size_t *size) {
    cv_source src;
    char err[256];
    gw_sink sink = {0};
    mdm_status st = cv_checkpoint(&src, GOLDEN_DIR, err, sizeof err);
    if (st == MDM_OK)
        st = cv_write(&src, type, &sink, err, sizeof err);
    cv_source_free(&src);
    if (st != MDM_OK) {
        printf("  golden_model: %s\n", err);
        free(sink.mem);
        return NULL;
    }
    *size = sink.len;
    return sink.mem;
}

typedef struct {
    uint8_t *file;
    size_t size, data_off;
    json_value *header;
} golden;

static int golden_open(golden *g) {
    memset(g, 0, sizeof *g);
    if (!(g->file = read_file(GOLDEN_DIR "/golden.safetensors", &g->size)) || g->size < 8)
        return 0;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)g->file[i] << 8 * i;
    if (n > g->size - 8)
        return 0;
    g->data_off = 8 + (size_t)n;
    char err[128];
    return json_parse((const char *)g->file + 8, (size_t)n, &g->header, err, sizeof err) == MDM_OK;
}

static void golden_close(golden *g) {
    json_free(g->header);
    free(g->file);
}

/* Tensor `name` as doubles (any of F32, I32, I64, U8), malloc'ed; NULL if absent. */
static double *golden_get(const golden *g, const char *name, size_t *count) {
    const json_value *e = json_get(g->header, name), *dt, *off;
    if (!e || !(dt = json_get(e, "dtype")) || !(off = json_get(e, "data_offsets")) || off->n != 2)
        return NULL;
    size_t es = strcmp(dt->str, "U8") == 0 ? 1 : strcmp(dt->str, "I64") == 0 ? 8 : 4;
    size_t b = (size_t)off->items[0].i, end = (size_t)off->items[1].i, n = (end - b) / es;
    if (end < b || g->data_off + end > g->size)
        return NULL;
    const uint8_t *p = g->file + g->data_off + b;
    double *out = malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++, p += es) {
        uint64_t v = 0;
        for (size_t k = 0; k < es; k++)
            v |= (uint64_t)p[k] << 8 * k;
        if (strcmp(dt->str, "F32") == 0) {
            float f;
            uint32_t u = (uint32_t)v;
            memcpy(&f, &u, 4);
            out[i] = f;
        } else if (es == 4) {
            out[i] = (int32_t)(uint32_t)v;
        } else {
            out[i] = es == 8 ? (double)(int64_t)v : (double)v;
        }
    }
    *count = n;
    return out;
}

static float *to_f32(const double *d, size_t n) {
    float *f = malloc((n ? n : 1) * sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)d[i];
    return f;
}

static float *golden_f32(const golden *g, const char *name, size_t *n) {
    double *d = golden_get(g, name, n);
    float *f = d ? to_f32(d, *n) : NULL;
    free(d);
    return f;
}

static int32_t *golden_i32(const golden *g, const char *name, size_t *n) {
    double *d = golden_get(g, name, n);
    if (!d)
        return NULL;
    int32_t *v = malloc((*n ? *n : 1) * sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = (int32_t)d[i];
    free(d);
    return v;
}

/* The string value of a __metadata__ key, or "". */
static const char *golden_meta(const golden *g, const char *key) {
    const json_value *m = json_get(g->header, "__metadata__"), *v = m ? json_get(m, key) : NULL;
    return v && v->kind == JSON_STRING ? v->str : "";
}

/* max |a - b| / max |b|: the relative error of a result against a reference. */
static double rel_err(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        num = d > num || d != d ? d : num;
        den = fabs(b[i]) > den ? fabs(b[i]) : den;
    }
    return den > 0 ? num / den : num;
}

static double psnr_u8(const uint8_t *a, const uint8_t *b, size_t n) {
    double se = 0;
    for (size_t i = 0; i < n; i++)
        se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return se == 0 ? INFINITY : 10 * log10(255.0 * 255.0 / (se / (double)n));
}
#endif
