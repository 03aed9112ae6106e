/* GGUF v3 writer (see gguf_write.h).  Everything is written little-endian
 * byte by byte, so the output does not depend on the host. */
#include "gguf_write.h"
#include "model/crc32.h"
#include "model/gguf.h"
#include <stdlib.h>
#include <string.h>

static void b_put(gw_writer *w, gw_buf *b, const void *p, size_t n) {
    if (w->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *nb = realloc(b->b, cap);
        if (!nb) {
            w->oom = 1;
            return;
        }
        b->b = nb;
        b->cap = cap;
    }
    memcpy(b->b + b->len, p, n);
    b->len += n;
}

static void le(uint8_t *o, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)(v >> 8 * i);
}

static void b_u32(gw_writer *w, gw_buf *b, uint32_t v) {
    uint8_t o[4];
    le(o, v, 4);
    b_put(w, b, o, 4);
}

static void b_u64(gw_writer *w, gw_buf *b, uint64_t v) {
    uint8_t o[8];
    le(o, v, 8);
    b_put(w, b, o, 8);
}

static void b_str(gw_writer *w, gw_buf *b, const char *s) {
    size_t n = strlen(s);
    b_u64(w, b, n);
    b_put(w, b, s, n);
}

static void key(gw_writer *w, const char *k, uint32_t type) {
    b_str(w, &w->kv, k);
    b_u32(w, &w->kv, type);
    w->n_kv++;
}

void gw_init(gw_writer *w, uint32_t alignment) {
    memset(w, 0, sizeof *w);
    w->alignment = alignment;
    gw_u32(w, "general.alignment", alignment);
}

void gw_free(gw_writer *w) {
    free(w->kv.b);
    free(w->ti.b);
    memset(w, 0, sizeof *w);
}

void gw_u32(gw_writer *w, const char *k, uint32_t v) {
    key(w, k, MDM_GGUF_UINT32);
    b_u32(w, &w->kv, v);
}

void gw_f32(gw_writer *w, const char *k, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    key(w, k, MDM_GGUF_FLOAT32);
    b_u32(w, &w->kv, u);
}

void gw_str(gw_writer *w, const char *k, const char *s) {
    key(w, k, MDM_GGUF_STRING);
    b_str(w, &w->kv, s);
}

static void arr(gw_writer *w, const char *k, uint32_t type, size_t n) {
    key(w, k, MDM_GGUF_ARRAY);
    b_u32(w, &w->kv, type);
    b_u64(w, &w->kv, n);
}

void gw_arr_str(gw_writer *w, const char *k, const char *const *s, size_t n) {
    arr(w, k, MDM_GGUF_STRING, n);
    for (size_t i = 0; i < n; i++)
        b_str(w, &w->kv, s[i]);
}

void gw_arr_i32(gw_writer *w, const char *k, const int32_t *v, size_t n) {
    arr(w, k, MDM_GGUF_INT32, n);
    for (size_t i = 0; i < n; i++)
        b_u32(w, &w->kv, (uint32_t)v[i]);
}

void gw_arr_f32(gw_writer *w, const char *k, const float *v, size_t n) {
    arr(w, k, MDM_GGUF_FLOAT32, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        b_u32(w, &w->kv, u);
    }
}

void gw_crc_key(gw_writer *w, const char *k) {
    key(w, k, MDM_GGUF_UINT32);
    w->crc_pos = w->kv.len;
    b_u32(w, &w->kv, 0);
}

static uint64_t align_up(uint64_t x, uint32_t a) { return (x + a - 1) / a * a; }

uint64_t gw_tensor(gw_writer *w, const char *name, int n_dims, const int64_t *ne, mdm_type type) {
    uint64_t rows = 1;
    b_str(w, &w->ti, name);
    b_u32(w, &w->ti, (uint32_t)n_dims);
    for (int i = 0; i < n_dims; i++) {
        b_u64(w, &w->ti, (uint64_t)ne[i]);
        if (i)
            rows *= (uint64_t)ne[i];
    }
    b_u32(w, &w->ti, (uint32_t)type);
    b_u64(w, &w->ti, w->data_size);
    uint64_t nbytes = rows * mdm_type_row_bytes(type, (size_t)ne[0]);
    w->data_size = align_up(w->data_size + nbytes, w->alignment);
    w->n_tensors++;
    return nbytes;
}

static void sink_write(gw_sink *s, const void *p, size_t n) {
    if (s->failed || n == 0)
        return;
    if (s->f) {
        if (fwrite(p, 1, n, s->f) != n)
            s->failed = 1;
    } else {
        if (s->len + n > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + n)
                cap *= 2;
            uint8_t *m = realloc(s->mem, cap);
            if (!m) {
                s->failed = 2;
                return;
            }
            s->mem = m;
            s->cap = cap;
        }
        memcpy(s->mem + s->len, p, n);
        s->len += n;
    }
    s->pos += n;
}

static const uint8_t zeros[64];

static void sink_zeros(gw_sink *s, uint64_t n) {
    for (; n > 0; n -= n < sizeof zeros ? n : sizeof zeros)
        sink_write(s, zeros, n < sizeof zeros ? (size_t)n : sizeof zeros);
}

mdm_status gw_begin(gw_writer *w, gw_sink *s) {
    if (w->oom)
        return MDM_ERR_NO_MEMORY;
    uint8_t h[24];
    memcpy(h, "GGUF", 4);
    le(h + 4, MDM_GGUF_VERSION, 4);
    le(h + 8, w->n_tensors, 8);
    le(h + 16, w->n_kv, 8);
    uint64_t start = s->pos;
    sink_write(s, h, sizeof h);
    if (w->crc_pos)
        w->crc_abs = s->pos + w->crc_pos;
    sink_write(s, w->kv.b, w->kv.len);
    sink_write(s, w->ti.b, w->ti.len);
    sink_zeros(s, align_up(s->pos - start, w->alignment) - (s->pos - start));
    return s->failed ? (s->failed == 2 ? MDM_ERR_NO_MEMORY : MDM_ERR_IO) : MDM_OK;
}

void gw_data(gw_writer *w, gw_sink *s, const void *p, size_t n) {
    w->crc = mdm_crc32(w->crc, p, n);
    w->data_written += n;
    sink_write(s, p, n);
}

void gw_pad(gw_writer *w, gw_sink *s) {
    uint64_t pad = align_up(w->data_written, w->alignment) - w->data_written;
    while (pad) {
        size_t k = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        gw_data(w, s, zeros, k);
        pad -= k;
    }
}

mdm_status gw_finish(gw_writer *w, gw_sink *s) {
    if (w->data_written != w->data_size)
        return MDM_ERR_INTERNAL;
    uint8_t c[4];
    le(c, w->crc, 4);
    if (w->crc_pos && !s->failed) {
        if (s->f) {
            if (fseek(s->f, (long)w->crc_abs, SEEK_SET) != 0 || fwrite(c, 1, 4, s->f) != 4 ||
                fseek(s->f, 0, SEEK_END) != 0)
                s->failed = 1;
        } else {
            memcpy(s->mem + w->crc_abs, c, 4);
        }
    }
    if (s->f && !s->failed && fflush(s->f) != 0)
        s->failed = 1;
    return s->failed ? (s->failed == 2 ? MDM_ERR_NO_MEMORY : MDM_ERR_IO) : MDM_OK;
}
