/* A strict RFC 8259 JSON reader for config.json and safetensors headers:
 * bounded depth, no comments or trailing commas, full escape and UTF-8
 * validation (no lone surrogates, no overlong forms), no duplicate keys. */
#ifndef MDM_CONVERT_JSON_H
#define MDM_CONVERT_JSON_H
#include "mdm_rt.h"
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value {
    json_kind kind;
    double num;     /* NUMBER */
    int64_t i;      /* NUMBER, when is_int */
    int is_int;     /* integer syntax (no fraction or exponent) that fits int64 */
    char *str;      /* STRING: decoded UTF-8, NUL-terminated (may hold NULs: use len) */
    size_t len;
    struct json_value *items; /* ARRAY elements, OBJECT values */
    char **keys;              /* OBJECT keys, decoded, NUL-terminated */
    size_t *key_lens;
    size_t n;
} json_value;

/* MDM_ERR_BAD_JSON (err says line:column and why) or MDM_ERR_NO_MEMORY. */
mdm_status json_parse(const char *text, size_t n, json_value **out, char *err, size_t err_len);
void json_free(json_value *v);

/* Member of an object by key (a key holding NUL never matches), or NULL. */
const json_value *json_get(const json_value *obj, const char *key);
#endif
