/* GGUF v3 reader.  Every read goes through a cursor that knows how many
 * bytes are left; every count is checked against a hard limit first (a
 * "bad" length) and then against the bytes left (a truncated file). */
#include "model/gguf.h"
#include "kernels/quant.h"
#include "model/errmsg.h"
#include <inttypes.h>
#include <stdlib.h> /* qsort */
#include <string.h>

uint32_t mdm_gguf_rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t mdm_gguf_rd_u64(const uint8_t *p) {
    return (uint64_t)mdm_gguf_rd_u32(p) | (uint64_t)mdm_gguf_rd_u32(p + 4) << 32;
}

float mdm_gguf_rd_f32(const uint8_t *p) {
    uint32_t u = mdm_gguf_rd_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

typedef struct {
    const uint8_t *p;
    size_t size, pos;
    char *err;
    size_t err_len;
} cursor;

static size_t left(const cursor *c) { return c->size - c->pos; }

static mdm_status need(cursor *c, uint64_t n, const char *what) {
    if (n > left(c))
        return mdm_err(c->err, c->err_len, MDM_ERR_TRUNCATED, "%s at byte %zu", what, c->pos);
    return MDM_OK;
}

static mdm_status rd_u32(cursor *c, uint32_t *v, const char *what) {
    mdm_status s = need(c, 4, what);
    if (s == MDM_OK) {
        *v = mdm_gguf_rd_u32(c->p + c->pos);
        c->pos += 4;
    }
    return s;
}

static mdm_status rd_u64(cursor *c, uint64_t *v, const char *what) {
    mdm_status s = need(c, 8, what);
    if (s == MDM_OK) {
        *v = mdm_gguf_rd_u64(c->p + c->pos);
        c->pos += 8;
    }
    return s;
}

/* Size of a fixed-size value type, 0 for string/array/unknown. */
static size_t scalar_size(uint32_t t) {
    switch (t) {
    case MDM_GGUF_UINT8: case MDM_GGUF_INT8: case MDM_GGUF_BOOL: return 1;
    case MDM_GGUF_UINT16: case MDM_GGUF_INT16: return 2;
    case MDM_GGUF_UINT32: case MDM_GGUF_INT32: case MDM_GGUF_FLOAT32: return 4;
    case MDM_GGUF_UINT64: case MDM_GGUF_INT64: case MDM_GGUF_FLOAT64: return 8;
    }
    return 0;
}

/* A string: length (bounded by max, then by the bytes left), then bytes. */
static mdm_status rd_str(cursor *c, uint64_t max, mdm_status too_long, const char **s,
                         uint64_t *n, const char *what) {
    mdm_status st = rd_u64(c, n, what);
    if (st != MDM_OK)
        return st;
    if (*n > max)
        return mdm_err(c->err, c->err_len, too_long, "%s: length %llu at byte %zu", what,
                       (unsigned long long)*n, c->pos - 8);
    if ((st = need(c, *n, what)) != MDM_OK)
        return st;
    *s = (const char *)c->p + c->pos;
    c->pos += (size_t)*n;
    return MDM_OK;
}

static mdm_status rd_value(cursor *c, mdm_gguf_kv *kv, const char *key) {
    const char *s;
    uint64_t n;
    mdm_status st;
    size_t start = c->pos, es = scalar_size(kv->type);
    kv->val = c->p + c->pos;
    if (es) {
        if ((st = need(c, es, key)) != MDM_OK)
            return st;
        c->pos += es;
    } else if (kv->type == MDM_GGUF_STRING) {
        if ((st = rd_str(c, MDM_GGUF_MAX_STRING, MDM_ERR_BAD_STRING, &s, &n, key)) != MDM_OK)
            return st;
    } else if (kv->type == MDM_GGUF_ARRAY) {
        if ((st = rd_u32(c, &kv->arr_type, key)) != MDM_OK ||
            (st = rd_u64(c, &kv->arr_n, key)) != MDM_OK)
            return st;
        es = scalar_size(kv->arr_type);
        if (!es && kv->arr_type != MDM_GGUF_STRING) /* nested arrays are not used */
            return mdm_err(c->err, c->err_len, MDM_ERR_BAD_ARRAY, "%s: element type %" PRIu32, key,
                           kv->arr_type);
        if (kv->arr_n > MDM_GGUF_MAX_ARRAY)
            return mdm_err(c->err, c->err_len, MDM_ERR_BAD_ARRAY, "%s: %llu elements", key,
                           (unsigned long long)kv->arr_n);
        start = c->pos;
        kv->val = c->p + c->pos;
        if (es) { /* arr_n * es cannot overflow: both are small */
            if ((st = need(c, kv->arr_n * es, key)) != MDM_OK)
                return st;
            c->pos += (size_t)(kv->arr_n * es);
        } else {
            for (uint64_t i = 0; i < kv->arr_n; i++)
                if ((st = rd_str(c, MDM_GGUF_MAX_STRING, MDM_ERR_BAD_STRING, &s, &n, key)) !=
                    MDM_OK)
                    return st;
        }
    } else {
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_KEY_TYPE, "%s: value type %" PRIu32, key,
                       kv->type);
    }
    kv->val_bytes = c->pos - start;
    return MDM_OK;
}

static int cmp_kv(const void *a, const void *b) {
    return strcmp((*(const mdm_gguf_kv *const *)a)->key, (*(const mdm_gguf_kv *const *)b)->key);
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const mdm_gguf_tensor *const *)a)->name,
                  (*(const mdm_gguf_tensor *const *)b)->name);
}

static int cmp_tensor_offset(const void *a, const void *b) {
    uint64_t x = (*(const mdm_gguf_tensor *const *)a)->offset;
    uint64_t y = (*(const mdm_gguf_tensor *const *)b)->offset;
    return x < y ? -1 : x > y;
}

/* Key-value section; keys are copied (NUL-terminated) into g->key_store. */
static mdm_status parse_kvs(cursor *c, mdm_gguf *g) {
    /* The smallest pair is 8 (key length) + 1 (key) + 4 (type) + 1 (u8). */
    if (g->n_kv > left(c) / 14)
        return mdm_err(c->err, c->err_len, MDM_ERR_TRUNCATED, "%llu key-value pairs",
                       (unsigned long long)g->n_kv);
    size_t nkv = (size_t)g->n_kv ? (size_t)g->n_kv : 1;
    g->kv = mdm_alloc_zero(&g->al, nkv, sizeof *g->kv);
    const char **raw = mdm_alloc_zero(&g->al, nkv, sizeof *raw);
    size_t *raw_len = mdm_alloc_zero(&g->al, nkv, sizeof *raw_len);
    mdm_status st = (g->kv && raw && raw_len) ? MDM_OK : MDM_ERR_NO_MEMORY;
    size_t store = 0;
    for (uint64_t i = 0; st == MDM_OK && i < g->n_kv; i++) {
        uint64_t n;
        char key[MDM_GGUF_MAX_KEY + 1];
        if ((st = rd_str(c, MDM_GGUF_MAX_KEY, MDM_ERR_BAD_STRING, &raw[i], &n, "key")) != MDM_OK)
            break;
        if (n == 0 || memchr(raw[i], 0, (size_t)n)) {
            st = mdm_err(c->err, c->err_len, MDM_ERR_BAD_STRING, "key %llu is empty or has NUL",
                         (unsigned long long)i);
            break;
        }
        raw_len[i] = (size_t)n;
        store += (size_t)n + 1;
        mdm_err_name(key, sizeof key, raw[i], (size_t)n);
        if ((st = rd_u32(c, &g->kv[i].type, key)) == MDM_OK)
            st = rd_value(c, &g->kv[i], key);
    }
    if (st == MDM_OK && !(g->key_store = mdm_alloc(&g->al, store)))
        st = MDM_ERR_NO_MEMORY;
    for (size_t i = 0, off = 0; st == MDM_OK && i < (size_t)g->n_kv; i++) {
        memcpy(g->key_store + off, raw[i], raw_len[i]);
        g->key_store[off + raw_len[i]] = '\0';
        g->kv[i].key = g->key_store + off;
        off += raw_len[i] + 1;
    }
    mdm_free(&g->al, raw_len);
    mdm_free(&g->al, raw);
    return st;
}

static mdm_status check_unique_keys(cursor *c, mdm_gguf *g) {
    g->kv_sorted = mdm_alloc_zero(&g->al, (size_t)g->n_kv, sizeof *g->kv_sorted);
    const mdm_gguf_kv **by = mdm_alloc_zero(&g->al, (size_t)g->n_kv, sizeof *by);
    if (!by || !g->kv_sorted) {
        mdm_free(&g->al, by);
        return MDM_ERR_NO_MEMORY;
    }
    for (uint64_t i = 0; i < g->n_kv; i++)
        by[i] = &g->kv[i];
    qsort(by, (size_t)g->n_kv, sizeof *by, cmp_kv);
    mdm_status st = MDM_OK;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        g->kv_sorted[i] = (uint32_t)(by[i] - g->kv);
        if (i && st == MDM_OK && strcmp(by[i]->key, by[i - 1]->key) == 0) {
            char key[MDM_GGUF_MAX_KEY + 1];
            mdm_err_name(key, sizeof key, by[i]->key, strlen(by[i]->key));
            st = mdm_err(c->err, c->err_len, MDM_ERR_DUPLICATE_KEY, "%s", key);
        }
    }
    mdm_free(&g->al, by);
    return st;
}

static mdm_status read_alignment(cursor *c, mdm_gguf *g) {
    g->alignment = MDM_GGUF_DEFAULT_ALIGNMENT;
    const mdm_gguf_kv *kv = mdm_gguf_find_kv(g, "general.alignment");
    if (!kv)
        return MDM_OK;
    if (kv->type != MDM_GGUF_UINT32)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_KEY_TYPE,
                       "general.alignment: type %" PRIu32, kv->type);
    uint32_t a = mdm_gguf_rd_u32(kv->val);
    if (a < MDM_GGUF_MIN_ALIGNMENT || a > MDM_GGUF_MAX_ALIGNMENT || (a & (a - 1)))
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_ALIGNMENT, "general.alignment = %" PRIu32, a);
    g->alignment = a;
    return MDM_OK;
}

/* One tensor info record: name, rank, dims, type, offset; the byte size. */
static mdm_status parse_tensor_info(cursor *c, mdm_gguf_tensor *t, uint64_t index) {
    const char *name;
    uint64_t n;
    mdm_status st = rd_str(c, MDM_GGUF_MAX_NAME, MDM_ERR_BAD_TENSOR_NAME, &name, &n, "tensor name");
    if (st != MDM_OK)
        return st;
    if (n == 0 || memchr(name, 0, (size_t)n))
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_TENSOR_NAME,
                       "tensor %llu: empty name or NUL in name", (unsigned long long)index);
    mdm_err_name(t->name, sizeof t->name, name, (size_t)n);
    if (strlen(t->name) != n || memcmp(t->name, name, (size_t)n) != 0) /* not printable ASCII */
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_TENSOR_NAME, "%s", t->name);
    if ((st = rd_u32(c, &t->n_dims, t->name)) != MDM_OK)
        return st;
    if (t->n_dims < 1 || t->n_dims > MDM_GGUF_MAX_DIMS)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_SHAPE, "%s: %" PRIu32 " dims", t->name,
                       t->n_dims);
    uint64_t count = 1;
    for (uint32_t d = 0; d < MDM_GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        if (d < t->n_dims && (st = rd_u64(c, &ne, t->name)) != MDM_OK)
            return st;
        if (ne == 0)
            return mdm_err(c->err, c->err_len, MDM_ERR_BAD_SHAPE, "%s: dim %" PRIu32 " is 0", t->name,
                           d);
        if (ne > (uint64_t)INT64_MAX || count > (uint64_t)INT64_MAX / ne)
            return mdm_err(c->err, c->err_len, MDM_ERR_OVERFLOW, "%s: element count", t->name);
        count *= ne;
        t->ne[d] = (int64_t)ne;
    }
    if ((st = rd_u32(c, &t->type, t->name)) != MDM_OK || (st = rd_u64(c, &t->offset, t->name)))
        return st;
    if (!mdm_type_is_valid(t->type))
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_TENSOR_TYPE, "%s: type %" PRIu32, t->name,
                       t->type);
    int quant = t->type == MDM_TYPE_Q4_0 || t->type == MDM_TYPE_Q8_0;
    if (quant && t->ne[0] % MDM_QK != 0)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_SHAPE,
                       "%s: row of %lld is not a whole number of %d-value blocks", t->name,
                       (long long)t->ne[0], MDM_QK);
    /* bytes = count / block * block_bytes: at most 4 bytes per value. */
    uint64_t per = mdm_type_row_bytes((mdm_type)t->type, MDM_QK);
    if (count / MDM_QK > UINT64_MAX / per || count / MDM_QK * per > SIZE_MAX)
        return mdm_err(c->err, c->err_len, MDM_ERR_OVERFLOW, "%s: byte size", t->name);
    t->nbytes = quant ? count / MDM_QK * per : count * (per / MDM_QK);
    return MDM_OK;
}

static mdm_status parse_tensors(cursor *c, mdm_gguf *g) {
    /* The smallest record is 8 + 1 (name) + 4 + 8 (one dim) + 4 + 8. */
    if (g->n_tensors > left(c) / 33)
        return mdm_err(c->err, c->err_len, MDM_ERR_TRUNCATED, "%llu tensor infos",
                       (unsigned long long)g->n_tensors);
    g->tensors = mdm_alloc_zero(&g->al, (size_t)g->n_tensors, sizeof *g->tensors);
    if (!g->tensors)
        return MDM_ERR_NO_MEMORY;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        mdm_status st = parse_tensor_info(c, &g->tensors[i], i);
        if (st != MDM_OK)
            return st;
    }
    return MDM_OK;
}

/* Names unique; extents aligned, inside the data section, disjoint. */
static mdm_status check_tensors(cursor *c, mdm_gguf *g) {
    size_t n = (size_t)g->n_tensors;
    for (size_t i = 0; i < n; i++) {
        mdm_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment)
            return mdm_err(c->err, c->err_len, MDM_ERR_MISALIGNED, "%s: offset %llu", t->name,
                           (unsigned long long)t->offset);
        if (t->offset > UINT64_MAX - t->nbytes)
            return mdm_err(c->err, c->err_len, MDM_ERR_OVERFLOW, "%s: offset + size", t->name);
        if (t->offset + t->nbytes > g->data_size)
            return mdm_err(c->err, c->err_len, MDM_ERR_BAD_OFFSET,
                           "%s: bytes %llu..%llu of a %llu-byte data section", t->name,
                           (unsigned long long)t->offset,
                           (unsigned long long)(t->offset + t->nbytes),
                           (unsigned long long)g->data_size);
        t->data = g->base + g->data_offset + t->offset;
    }
    g->tensor_sorted = mdm_alloc_zero(&g->al, n, sizeof *g->tensor_sorted);
    const mdm_gguf_tensor **by = mdm_alloc_zero(&g->al, n, sizeof *by);
    if (!by || !g->tensor_sorted) {
        mdm_free(&g->al, by);
        return MDM_ERR_NO_MEMORY;
    }
    mdm_status st = MDM_OK;
    for (size_t i = 0; i < n; i++)
        by[i] = &g->tensors[i];
    qsort(by, n, sizeof *by, cmp_tensor_offset);
    for (size_t i = 1; i < n && st == MDM_OK; i++)
        if (by[i - 1]->offset + by[i - 1]->nbytes > by[i]->offset)
            st = mdm_err(c->err, c->err_len, MDM_ERR_OVERLAP, "%s and %s", by[i - 1]->name,
                         by[i]->name);
    qsort(by, n, sizeof *by, cmp_tensor_name);
    for (size_t i = 0; i < n; i++) {
        g->tensor_sorted[i] = (uint32_t)(by[i] - g->tensors);
        if (i && st == MDM_OK && strcmp(by[i]->name, by[i - 1]->name) == 0)
            st = mdm_err(c->err, c->err_len, MDM_ERR_DUPLICATE_TENSOR, "%s", by[i]->name);
    }
    mdm_free(&g->al, by);
    return st;
}

static mdm_status parse(cursor *c, mdm_gguf *g) {
    mdm_status st = need(c, 4, "magic");
    if (st != MDM_OK)
        return st;
    if (memcmp(c->p, "GGUF", 4) != 0)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_MAGIC, "first bytes are not \"GGUF\"");
    c->pos = 4;
    if ((st = rd_u32(c, &g->version, "version")) != MDM_OK)
        return st;
    if (g->version != MDM_GGUF_VERSION)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_VERSION, "version %" PRIu32 " (need 3)", g->version);
    if ((st = rd_u64(c, &g->n_tensors, "tensor count")) != MDM_OK ||
        (st = rd_u64(c, &g->n_kv, "key-value count")) != MDM_OK)
        return st;
    if (g->n_tensors > MDM_GGUF_MAX_TENSORS || g->n_kv > MDM_GGUF_MAX_KV)
        return mdm_err(c->err, c->err_len, MDM_ERR_BAD_COUNT, "%llu tensors, %llu keys",
                       (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv);
    if ((st = parse_kvs(c, g)) != MDM_OK || (st = check_unique_keys(c, g)) != MDM_OK ||
        (st = read_alignment(c, g)) != MDM_OK || (st = parse_tensors(c, g)) != MDM_OK)
        return st;
    size_t pad = (g->alignment - c->pos % g->alignment) % g->alignment;
    if ((st = need(c, pad, "padding before tensor data")) != MDM_OK)
        return st;
    g->data_offset = c->pos + pad;
    g->data_size = c->size - g->data_offset;
    return check_tensors(c, g);
}

mdm_status mdm_gguf_open(mdm_gguf *g, const void *data, size_t size, char *err, size_t err_len) {
    return mdm_gguf_open_with(g, NULL, data, size, err, err_len);
}

mdm_status mdm_gguf_open_with(mdm_gguf *g, const mdm_allocator *al, const void *data, size_t size,
                              char *err, size_t err_len) {
    memset(g, 0, sizeof *g);
    if (al)
        g->al = *al;
    if (!data && size)
        return MDM_ERR_INVALID_ARG;
    if (err && err_len)
        err[0] = '\0';
    cursor c = {data, size, 0, err, err_len};
    g->base = data;
    g->size = size;
    mdm_status st = parse(&c, g);
    if (st == MDM_ERR_NO_MEMORY)
        mdm_err(err, err_len, st, "reading the GGUF header");
    if (st != MDM_OK)
        mdm_gguf_close(g);
    return st;
}

void mdm_gguf_close(mdm_gguf *g) {
    if (!g)
        return;
    mdm_allocator al = g->al;
    mdm_free(&al, g->key_store); /* newest first, for a stack-like allocator */
    mdm_free(&al, g->tensor_sorted);
    mdm_free(&al, g->tensors);
    mdm_free(&al, g->kv_sorted);
    mdm_free(&al, g->kv);
    memset(g, 0, sizeof *g);
    g->al = al;
}
