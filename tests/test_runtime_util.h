/* Helpers for the runtime tests: golden checkpoints converted in memory
 * with mdm-convert's own code, golden tensors (golden_io.h) as the types the
 * runtime takes, and the error measures the tests report. */
#ifndef MDM_TEST_RUNTIME_UTIL_H
#define MDM_TEST_RUNTIME_UTIL_H
#include "golden_io.h"
#include "rel_err.h"
#include "tools/convert/convert.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR "tests/golden/random"
#define GOLDEN_FILE GOLDEN_DIR "/golden.safetensors"

/* A reference checkpoint (config.json, vocab.tsv, model.safetensors) as a
 * model file of one weight type, in memory. */
static uint8_t *golden_model_from(const char *dir, mdm_type type, size_t *size) {
    cv_source src;
    char err[256];
    gw_sink sink = {0};
    mdm_status st = cv_checkpoint(&src, dir, err, sizeof err);
    if (st == MDM_OK)
        st = cv_write(&src, type, &sink, err, sizeof err);
    cv_source_free(&src);
    if (st != MDM_OK) {
        printf("  golden_model(%s): %s\n", dir, err);
        free(sink.mem);
        return NULL;
    }
    *size = sink.len;
    return sink.mem;
}

/* The golden random model. */
static uint8_t *golden_model(mdm_type type, size_t *size) {
    return golden_model_from(GOLDEN_DIR, type, size);
}

/* Integer tensors as int32 and uint8 copies (NULL when absent). */
static int32_t *golden_i32(const golden_file *g, const char *name, size_t *n) {
    int64_t *v = golden_int(g, name, n);
    int32_t *out = v ? malloc((*n ? *n : 1) * sizeof *out) : NULL;
    for (size_t i = 0; out && i < *n; i++)
        out[i] = (int32_t)v[i];
    free(v);
    return out;
}

static uint8_t *golden_u8(const golden_file *g, const char *name, size_t *n) {
    int64_t *v = golden_int(g, name, n);
    uint8_t *out = v ? malloc(*n ? *n : 1) : NULL;
    for (size_t i = 0; out && i < *n; i++)
        out[i] = (uint8_t)v[i];
    free(v);
    return out;
}

/* The string value of a __metadata__ key, or "". */
static const char *golden_meta(const golden_file *g, const char *key) {
    const json_value *m = g->hdr ? json_get(g->hdr, "__metadata__") : NULL;
    const json_value *v = m ? json_get(m, key) : NULL;
    return v && v->kind == JSON_STRING ? v->str : "";
}


static double psnr_u8(const uint8_t *a, const uint8_t *b, size_t n) {
    double se = 0;
    for (size_t i = 0; i < n; i++)
        se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return se == 0 ? INFINITY : 10 * log10(255.0 * 255.0 / (se / (double)n));
}
#endif
