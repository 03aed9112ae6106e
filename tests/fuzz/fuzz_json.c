/* libFuzzer target for mdm-convert's strict JSON reader: no crash, no leak,
 * and an accepted document's strings are valid where they claim to be.
 * Build and run: tests/suites/fuzz.sh. */
#include "tools/convert/json.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const json_value *v, int depth) {
    if (depth > JSON_MAX_DEPTH)
        abort();
    size_t n = 1;
    if (v->kind == JSON_STRING && (v->str[v->len] != '\0'))
        abort();
    for (size_t i = 0; i < v->n; i++) {
        n += walk(&v->items[i], depth + 1);
        if (v->kind == JSON_OBJECT && (v->keys[i][v->key_lens[i]] != '\0' ||
                                       (strlen(v->keys[i]) == v->key_lens[i] &&
                                        json_get(v, v->keys[i]) != &v->items[i])))
            abort();
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1); /* exact size: reads past it are caught */
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    json_value *v;
    char err[128];
    if (json_parse(copy, size, &v, err, sizeof err) == MDM_OK) {
        walk(v, 0);
        json_free(v);
    }
    free(copy);
    return 0;
}
