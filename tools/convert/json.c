/* Strict JSON reader (see json.h).  Recursive descent; the depth bound
 * keeps the recursion, and the free, bounded. */
#include "json.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *s;
    size_t n, pos;
    int depth;
    char *err;
    size_t err_len;
    int failed; /* 1 bad JSON, 2 out of memory */
} parser;

static int fail(parser *p, const char *fmt, ...) {
    if (p->failed)
        return 0;
    p->failed = 1;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->n; i++, col++)
        if (p->s[i] == '\n') {
            line++;
            col = 0;
        }
    if (p->err && p->err_len) {
        int k = snprintf(p->err, p->err_len, "malformed JSON at %zu:%zu: ", line, col);
        if (k > 0 && (size_t)k < p->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + k, p->err_len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return 0;
}

static int oom(parser *p) {
    if (!p->failed)
        p->failed = 2;
    if (p->err && p->err_len)
        snprintf(p->err, p->err_len, "out of memory while reading JSON");
    return 0;
}

static void skip_ws(parser *p) {
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int peek(parser *p) { return p->pos < p->n ? p->s[p->pos] : -1; }

/* Growable byte buffer for decoded strings. */
typedef struct {
    char *b;
    size_t len, cap;
} buf;

static int put(parser *p, buf *b, const void *src, size_t k) {
    if (b->len + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->len + k + 1)
            cap *= 2;
        char *nb = realloc(b->b, cap);
        if (!nb)
            return oom(p);
        b->b = nb;
        b->cap = cap;
    }
    memcpy(b->b + b->len, src, k);
    b->len += k;
    b->b[b->len] = '\0';
    return 1;
}

static int put_utf8(parser *p, buf *b, uint32_t c) {
    unsigned char u[4];
    size_t k;
    if (c < 0x80) { u[0] = (unsigned char)c; k = 1; }
    else if (c < 0x800) { u[0] = (unsigned char)(0xc0 | c >> 6); u[1] = (unsigned char)(0x80 | (c & 0x3f)); k = 2; }
    else if (c < 0x10000) {
        u[0] = (unsigned char)(0xe0 | c >> 12); u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
        u[2] = (unsigned char)(0x80 | (c & 0x3f)); k = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | c >> 18); u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
        u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f)); u[3] = (unsigned char)(0x80 | (c & 0x3f)); k = 4;
    }
    return put(p, b, u, k);
}

/* Length of a valid UTF-8 sequence at s (Unicode 3.2 table 3-7), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) k = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f; /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f; /* <= U+10FFFF */
    } else return 0;
    if (n < k || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return k;
}

static int hex4(parser *p, uint32_t *v) {
    if (p->n - p->pos < 4)
        return fail(p, "short \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p->s[p->pos++], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return fail(p, "bad hex digit in \\u escape");
        *v = *v << 4 | (uint32_t)d;
    }
    return 1;
}

static int escape(parser *p, buf *b) {
    if (p->pos >= p->n)
        return fail(p, "unterminated string");
    int c = p->s[p->pos++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = c ? strchr(from, c) : NULL;
    if (e)
        return put(p, b, &to[e - from], 1);
    if (c != 'u')
        return fail(p, "bad escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
    uint32_t u, lo;
    if (!hex4(p, &u))
        return 0;
    if (u >= 0xdc00 && u <= 0xdfff)
        return fail(p, "lone low surrogate");
    if (u >= 0xd800 && u <= 0xdbff) {
        if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return fail(p, "high surrogate without low surrogate");
        p->pos += 2;
        if (!hex4(p, &lo))
            return 0;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(p, "high surrogate without low surrogate");
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    }
    return put_utf8(p, b, u);
}

static int parse_string(parser *p, char **out, size_t *len) {
    buf b = {0};
    p->pos++; /* opening quote */
    if (!put(p, &b, "", 0))
        return 0;
    for (;;) {
        if (p->pos >= p->n) {
            free(b.b);
            return fail(p, "unterminated string");
        }
        unsigned c = p->s[p->pos];
        int ok;
        if (c == '"') {
            p->pos++;
            break;
        } else if (c == '\\') {
            p->pos++;
            ok = escape(p, &b);
        } else if (c < 0x20) {
            ok = fail(p, "control character in string");
        } else {
            size_t k = utf8_len(p->s + p->pos, p->n - p->pos);
            ok = k ? put(p, &b, p->s + p->pos, k) : fail(p, "invalid UTF-8");
            p->pos += k;
        }
        if (!ok) {
            free(b.b);
            return 0;
        }
    }
    *out = b.b;
    *len = b.len;
    return 1;
}

static int digits(parser *p) {
    size_t start = p->pos;
    while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    return p->pos > start;
}

static int parse_number(parser *p, json_value *v) {
    size_t start = p->pos;
    int integral = 1;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0')
        p->pos++;
    else if (!digits(p))
        return fail(p, "bad number");
    if (peek(p) == '.') {
        p->pos++;
        integral = 0;
        if (!digits(p))
            return fail(p, "bad fraction");
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        integral = 0;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!digits(p))
            return fail(p, "bad exponent");
    }
    char tmp[128];
    size_t k = p->pos - start;
    if (k >= sizeof tmp)
        return fail(p, "number too long");
    memcpy(tmp, p->s + start, k);
    tmp[k] = '\0';
    v->kind = JSON_NUMBER;
    v->num = strtod(tmp, NULL);
    if (!isfinite(v->num))
        return fail(p, "number out of range");
    if (integral) { /* exact int64, with overflow detection */
        const char *d = tmp + (tmp[0] == '-');
        uint64_t x = 0, lim = tmp[0] == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        v->is_int = 1;
        for (; *d; d++) {
            unsigned dig = (unsigned)(*d - '0');
            if (x > (lim - dig) / 10) {
                v->is_int = 0;
                break;
            }
            x = x * 10 + dig;
        }
        if (v->is_int)
            v->i = tmp[0] == '-' ? (int64_t)(0 - x) : (int64_t)x;
    }
    return 1;
}

static int parse_value(parser *p, json_value *v);

static int grow(parser *p, json_value *v, size_t *cap, int object) {
    if (v->n < *cap)
        return 1;
    size_t nc = *cap ? *cap * 2 : 4;
    json_value *items = realloc(v->items, nc * sizeof *items);
    if (items)
        v->items = items;
    if (object) {
        char **keys = realloc(v->keys, nc * sizeof *keys);
        if (keys)
            v->keys = keys;
        size_t *lens = realloc(v->key_lens, nc * sizeof *lens);
        if (lens)
            v->key_lens = lens;
        if (!keys || !lens)
            return oom(p);
    }
    if (!items)
        return oom(p);
    *cap = nc;
    return 1;
}

typedef struct {
    const char *k;
    size_t len;
} kref;

static int cmp_kref(const void *a, const void *b) {
    const kref *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->k, y->k, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sorting finds duplicates in n log n: headers may have many keys. */
static int check_dup_keys(parser *p, const json_value *v) {
    if (v->n < 2)
        return 1;
    kref *r = malloc(v->n * sizeof *r);
    if (!r)
        return oom(p);
    for (size_t i = 0; i < v->n; i++)
        r[i] = (kref){v->keys[i], v->key_lens[i]};
    qsort(r, v->n, sizeof *r, cmp_kref);
    int ok = 1;
    for (size_t i = 1; i < v->n && ok; i++)
        if (cmp_kref(&r[i - 1], &r[i]) == 0)
            ok = fail(p, "duplicate key \"%.40s\"", r[i].k);
    free(r);
    return ok;
}

static int parse_container(parser *p, json_value *v, int object) {
    size_t cap = 0;
    v->kind = object ? JSON_OBJECT : JSON_ARRAY;
    if (++p->depth > JSON_MAX_DEPTH)
        return fail(p, "nesting deeper than %d", JSON_MAX_DEPTH);
    p->pos++;
    skip_ws(p);
    if (peek(p) == (object ? '}' : ']')) {
        p->pos++;
        p->depth--;
        return 1;
    }
    for (;;) {
        skip_ws(p);
        if (!grow(p, v, &cap, object))
            return 0;
        json_value *item = &v->items[v->n];
        memset(item, 0, sizeof *item);
        if (object) {
            char *key;
            size_t klen;
            if (peek(p) != '"')
                return fail(p, "expected a key string");
            if (!parse_string(p, &key, &klen))
                return 0;
            v->keys[v->n] = key;
            v->key_lens[v->n] = klen;
            skip_ws(p);
            if (peek(p) != ':') {
                v->n++; /* so that the key is freed */
                return fail(p, "expected ':'");
            }
            p->pos++;
        }
        v->n++;
        if (!parse_value(p, item))
            return 0;
        skip_ws(p);
        int c = peek(p);
        p->pos++;
        if (c == (object ? '}' : ']'))
            break;
        if (c != ',') {
            p->pos--;
            return fail(p, "expected ',' or '%c'", object ? '}' : ']');
        }
    }
    p->depth--;
    return object ? check_dup_keys(p, v) : 1;
}

static int literal(parser *p, const char *word, json_value *v, json_kind kind) {
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
        return fail(p, "unexpected character");
    p->pos += k;
    v->kind = kind;
    return 1;
}

static int parse_value(parser *p, json_value *v) {
    skip_ws(p);
    switch (peek(p)) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"': v->kind = JSON_STRING; return parse_string(p, &v->str, &v->len);
    case 't': return literal(p, "true", v, JSON_TRUE);
    case 'f': return literal(p, "false", v, JSON_FALSE);
    case 'n': return literal(p, "null", v, JSON_NULL);
    case -1: return fail(p, "unexpected end of input");
    default:
        if (peek(p) == '-' || (peek(p) >= '0' && peek(p) <= '9'))
            return parse_number(p, v);
        return fail(p, "unexpected character");
    }
}

static void free_inner(json_value *v) {
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        free_inner(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
}

void json_free(json_value *v) {
    if (v) {
        free_inner(v);
        free(v);
    }
}

mdm_status json_parse(const char *text, size_t n, json_value **out, char *err, size_t err_len) {
    parser p = {(const unsigned char *)text, n, 0, 0, err, err_len, 0};
    json_value *v = calloc(1, sizeof *v);
    *out = NULL;
    if (!v)
        return MDM_ERR_NO_MEMORY;
    if (parse_value(&p, v)) {
        skip_ws(&p);
        if (p.pos != n)
            fail(&p, "trailing characters");
    }
    if (p.failed) {
        json_free(v);
        return p.failed == 2 ? MDM_ERR_NO_MEMORY : MDM_ERR_BAD_JSON;
    }
    *out = v;
    return MDM_OK;
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->kind != JSON_OBJECT)
        return NULL;
    size_t k = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->key_lens[i] == k && memcmp(obj->keys[i], key, k) == 0)
            return &obj->items[i];
    return NULL;
}
