/* The strict JSON reader: RFC 8259 conformance on accepted and rejected
 * texts, escapes and UTF-8, numbers, depth bound, duplicate keys. */
#include "check.h"
#include "tools/convert/json.h"
#include <string.h>

static mdm_status parse(const char *s, json_value **v) {
    char err[160];
    return json_parse(s, strlen(s), v, err, sizeof err);
}

static int ok(const char *s) {
    json_value *v;
    mdm_status st = parse(s, &v);
    json_free(v);
    return st == MDM_OK;
}

static void accepts(void) {
    const char *good[] = {
        "{}", "[]", " [1, 2.5, -0, 0.0e+1, 1E-3, true, false, null] ", "\"\"",
        "{\"a\": {\"b\": [[], {}]}, \"c\": \"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"}",
        "\"\xe2\x96\x81\xf0\x9f\x98\x80\xc3\xa9\"", "123456789012345678", "-9223372036854775808",
        "1e308", "{\"a\":1,\"A\":2}", "\r\n\t[ ]\n",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECKF(ok(good[i]), "rejected %s", good[i]);
}

static void rejects(void) {
    const char *bad[] = {
        "", " ", "{", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "'a'", "01", "1.",
        ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1e400",
        "tru", "nul", "[true false]", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\ud800\"",
        "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\x01\"", "\"\t\"", "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x96\"", "\"\xff\"", "\"\x80\"",
        "// c\n1", "/* c */ 1", "[1] x", "{\"a\":1,\"a\":2}", "\xef\xbb\xbf{}", "[1]]",
        "{\"a\":1}}", "{\"b\":1,\"a\":2,\"b\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(!ok(bad[i]), "accepted case %zu: %s", i, bad[i]);
    json_value *v;
    CHECK(json_parse("[1]\0", 4, &v, NULL, 0) == MDM_ERR_BAD_JSON); /* NUL byte after */
}

static void values(void) {
    json_value *v;
    CHECK(parse("{\"n\": -12, \"f\": 2.5e-1, \"big\": 18446744073709551616, \"s\": "
                "\"a\\u0000b\", \"l\": [1, \"x\"]}", &v) == MDM_OK);
    const json_value *n = json_get(v, "n"), *f = json_get(v, "f"), *big = json_get(v, "big"),
                     *s = json_get(v, "s"), *l = json_get(v, "l");
    CHECK(n && n->is_int && n->i == -12 && n->num == -12.0);
    CHECK(f && !f->is_int && f->num == 0.25);
    CHECK(big && !big->is_int && big->num == 18446744073709551616.0);
    CHECK(s && s->len == 3 && memcmp(s->str, "a\0b", 3) == 0);
    CHECK(l && l->kind == JSON_ARRAY && l->n == 2 && l->items[1].kind == JSON_STRING);
    CHECK(json_get(v, "missing") == NULL && json_get(n, "n") == NULL);
    json_free(v);
    CHECK(parse("\"\\ud83d\\ude00\"", &v) == MDM_OK);
    CHECK(v->len == 4 && memcmp(v->str, "\xf0\x9f\x98\x80", 4) == 0);
    json_free(v);
}

static void depth_and_errors(void) {
    char deep[200];
    for (int d = 63; d <= 65; d++) {
        memset(deep, '[', (size_t)d);
        memset(deep + d, ']', (size_t)d);
        deep[2 * d] = '\0';
        CHECKF(ok(deep) == (d <= JSON_MAX_DEPTH), "depth %d", d);
    }
    json_value *v;
    char err[160];
    CHECK(json_parse("{\n  \"a\": [1,\n  2,]}", 18, &v, err, sizeof err) == MDM_ERR_BAD_JSON);
    CHECKF(strstr(err, "3:5") != NULL, "%s", err);
    CHECK(v == NULL);
}

int main(void) {
    RUN(accepts);
    RUN(rejects);
    RUN(values);
    RUN(depth_and_errors);
    CHECK_EXIT();
}
