/* Helpers for the model-file tests: a random model built in memory with
 * mdm-convert's own code, and byte-level edits of a model's header. */
#ifndef MDM_TEST_GGUF_UTIL_H
#define MDM_TEST_GGUF_UTIL_H
#include "tools/convert/convert.h"
#include "model/gguf.h"
#include <stdlib.h>
#include <string.h>

/* Writes preset into a malloc'ed buffer (MDM_MODEL_ALIGN-byte aligned, as malloc gives). */
static mdm_status build_model(const char *preset, uint64_t seed, mdm_type type,
                              void (*edit)(cv_source *, mdm_tensor_spec *, size_t *),
                              uint8_t **out, size_t *size) {
    cv_source src;
    char err[256];
    mdm_status st = cv_preset(&src, preset, seed, err, sizeof err);
    gw_sink sink = {0};
    src.edit = edit;
    if (st == MDM_OK)
        st = cv_write(&src, type, &sink, err, sizeof err);
    cv_source_free(&src);
    if (st != MDM_OK) {
        printf("  build_model(%s): %s\n", preset, err);
        free(sink.mem);
        return st;
    }
    *out = sink.mem;
    *size = sink.len;
    return MDM_OK;
}

/* Offset of the first occurrence of a GGUF string (u64 length + bytes). */
static size_t find_gguf_str(const uint8_t *b, size_t n, const char *s) {
    size_t k = strlen(s);
    for (size_t i = 0; i + 8 + k <= n; i++)
        if (mdm_gguf_rd_u64(b + i) == k && memcmp(b + i + 8, s, k) == 0)
            return i;
    return (size_t)-1;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* Opens a copy of b (so that ASan sees reads past its end). */
static mdm_status open_copy(const uint8_t *b, size_t n, int crc, char *err, size_t len) {
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, b, n);
    mdm_model_params p = mdm_model_params_init();
    p.verify_crc = crc;
    mdm_model *m = NULL;
    mdm_status st = mdm_model_open_memory(c, n, &p, &m, err, len);
    mdm_model_free(m);
    free(c);
    return st;
}
#endif
