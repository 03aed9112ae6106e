/* Shared by tests/fuzz/fuzz_png.c and tests/test_image.c.
 *
 * png_repair(): mutated PNGs mostly die at the first CRC or at the adler32;
 * this rewrites every chunk CRC and, when the IDAT data inflates, the adler32
 * too, so that mutations reach the header, filter and pixel code.
 *
 * image_check(): decodes a buffer and checks what must hold for any input:
 * an error leaves no pixels and a reason; a success is a sane image whose
 * PNG re-encoding decodes to the same pixels, and which converts and resizes. */
#ifndef MDM_TESTS_PNG_CHECK_H
#define MDM_TESTS_PNG_CHECK_H
#include <stdlib.h>
#include <string.h>
#include "image/image.h"
#include "image/zlib.h"
#include "model/crc32.h"

static uint32_t pc_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void pc_put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Calls fn(ctx, chunk_offset, len) for each whole chunk; returns the end offset. */
static size_t pc_walk(const uint8_t *p, size_t n, void (*fn)(void *, size_t, uint32_t), void *ctx) {
    size_t pos = 8;
    while (n - pos >= 12) {
        uint32_t len = pc_be32(p + pos);
        if (len > n - pos - 12)
            break;
        fn(ctx, pos, len);
        pos += 12 + (size_t)len;
    }
    return pos;
}

typedef struct {
    uint8_t *p, *z;
    size_t zn;
    size_t adler_at; /* offset of the adler32 in the zlib stream */
    uint8_t adler[4];
} pc_ctx;

static void pc_gather(void *c, size_t pos, uint32_t len) {
    pc_ctx *x = c;
    if (memcmp(x->p + pos + 4, "IDAT", 4) == 0) {
        memcpy(x->z + x->zn, x->p + pos + 8, len);
        x->zn += len;
    }
}

static void pc_patch(void *c, size_t pos, uint32_t len) {
    pc_ctx *x = c;
    if (memcmp(x->p + pos + 4, "IDAT", 4) == 0) {
        for (size_t k = 0; k < 4; k++)
            if (x->adler_at + k >= x->zn && x->adler_at + k < x->zn + len)
                x->p[pos + 8 + x->adler_at + k - x->zn] = x->adler[k];
        x->zn += len;
    }
}

static void pc_crc(void *c, size_t pos, uint32_t len) {
    pc_ctx *x = c;
    pc_put32(x->p + pos + 8 + len, mdm_crc32(0, x->p + pos + 4, (size_t)len + 4));
}

/* out must hold n bytes; returns the repaired length (0: not a PNG). */
static size_t png_repair(const uint8_t *in, size_t n, uint8_t *out) {
    if (n < 8 || memcmp(in, "\x89PNG\r\n\x1a\n", 8) != 0)
        return 0;
    memcpy(out, in, n);
    pc_ctx x = {out, malloc(n), 0, 0, {0}};
    size_t cap = 0, got = 0, used = 0;
    uint8_t *raw = NULL;
    if (x.z) {
        pc_walk(out, n, pc_gather, &x);
        cap = x.zn < 4096 ? x.zn * 1032 + 16 : (size_t)1 << 22; /* deflate's ratio limit */
        raw = malloc(cap);
    }
    if (raw) {
        if (x.zn > 2 && mdm_image_inflate(x.z + 2, x.zn - 2, raw, cap, &got, &used) == MDM_OK) {
            pc_put32(x.adler, mdm_image_adler32(1, raw, got));
            x.adler_at = 2 + used;
            x.zn = 0;
            pc_walk(out, n, pc_patch, &x);
        }
    }
    free(x.z);
    free(raw);
    return pc_walk(out, n, pc_crc, &x);
}

/* 1 when every property holds. */
static int image_check(const uint8_t *data, size_t n, const mdm_image_limits *lim) {
    mdm_image img, back = {0};
    char err[160];
    err[0] = 0;
    mdm_status st = mdm_image_decode(data, n, lim, &img, err, sizeof err);
    if (st != MDM_OK)
        return !img.pixels && img.w == 0 && err[0] != 0;
    if (img.w < 1 || img.h < 1 || img.channels < 1 || img.channels > 4 || !img.pixels)
        return 0;
    int ok = 1;
    size_t sz = mdm_image_size(&img), len = 0;
    if (sz <= (1u << 20)) {
        ok = mdm_image_encode_png(&img, NULL, 0, &len) == MDM_ERR_BUFFER_TOO_SMALL && len > 0;
        uint8_t *buf = ok ? malloc(len) : NULL;
        ok = ok && buf && mdm_image_encode_png(&img, buf, len, &len) == MDM_OK &&
             mdm_image_decode(buf, len, NULL, &back, NULL, 0) == MDM_OK;
        ok = ok && back.w == img.w && back.h == img.h && back.channels == img.channels &&
             memcmp(back.pixels, img.pixels, sz) == 0;
        mdm_image_free(&back);
        free(buf);
    }
    if (ok && sz <= (1u << 16)) {
        mdm_image m;
        ok = mdm_image_prepare(&img, 32, 32, img.channels == 1 ? 3 : 1, MDM_FIT_PAD, &m) == MDM_OK;
        mdm_image_free(&m);
        ok = ok && mdm_image_prepare(&img, 7, 40, 3, MDM_FIT_STRETCH, &m) == MDM_OK;
        mdm_image_free(&m);
    }
    mdm_image_free(&img);
    return ok;
}

#endif
