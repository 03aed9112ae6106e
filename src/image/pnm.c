/* Netpbm gray and colour maps: P2/P5 (PGM) and P3/P6 (PPM), plain and raw.
 * maxval up to 65535 (raw samples of two bytes, big-endian, above 255);
 * samples are rescaled to 0..255.  '#' comments may appear between any two
 * header fields, and between plain-format samples as netpbm allows. */
#include "image/internal.h"
#include <stdio.h>
#include <string.h>

#define FAIL(st, ...) mdm_image_fail(err, err_len, st, __VA_ARGS__)
#define BAD(...) FAIL(MDM_ERR_BAD_IMAGE, __VA_ARGS__)

typedef struct {
    const uint8_t *p;
    size_t n, pos;
} cursor;

static int is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and comments; 1 if anything was skipped. */
static int skip(cursor *c) {
    size_t start = c->pos;
    while (c->pos < c->n) {
        if (c->p[c->pos] == '#') {
            while (c->pos < c->n && c->p[c->pos] != '\n' && c->p[c->pos] != '\r')
                c->pos++;
        } else if (is_space(c->p[c->pos])) {
            c->pos++;
        } else {
            break;
        }
    }
    return c->pos > start;
}

/* A decimal number <= max after separators; 0 if there is none. */
static int number(cursor *c, uint32_t max, uint32_t *v) {
    if (!skip(c) || c->pos >= c->n || c->p[c->pos] < '0' || c->p[c->pos] > '9')
        return 0;
    uint64_t x = 0; /* <= max < 2^32 before each step, so x*10 + 9 cannot wrap */
    while (c->pos < c->n && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        x = x * 10 + (uint64_t)(c->p[c->pos++] - '0');
        if (x > max)
            return 0;
    }
    *v = (uint32_t)x;
    return 1;
}

static uint8_t scale(uint32_t v, uint32_t maxval) {
    return maxval == 255 ? (uint8_t)v : (uint8_t)((v * 255u + maxval / 2) / maxval);
}

mdm_status mdm_image_decode_pnm(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                                mdm_image *out, char *err, size_t err_len) {
    uint32_t max_side, w, h, maxval;
    size_t max_bytes, n;
    if (err && err_len)
        err[0] = 0;
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || (!data && size))
        return FAIL(MDM_ERR_INVALID_ARG, "no data or no output");
    mdm_image_limits_get(limits, &max_side, &max_bytes);
    if (size < 2 || data[0] != 'P' || !data[1] || !strchr("2356", data[1]))
        return BAD("not a PGM/PPM file (P2, P3, P5 or P6)");
    int kind = data[1] - '0', channels = kind == 3 || kind == 6 ? 3 : 1, plain = kind < 4;
    cursor c = {data, size, 2};
    if (!number(&c, 0x7fffffffu, &w) || !number(&c, 0x7fffffffu, &h) ||
        !number(&c, 65535, &maxval))
        return BAD("PNM: header is truncated or malformed");
    if (w == 0 || h == 0 || maxval == 0)
        return BAD("PNM: zero width, height or maxval");
    if (w > max_side || h > max_side)
        return FAIL(MDM_ERR_IMAGE_TOO_LARGE, "PNM: %ux%u exceeds the %u-pixel side limit",
                    (unsigned)w, (unsigned)h, (unsigned)max_side);
    if (!mdm_image_mul(w, h, &n) || !mdm_image_mul(n, (size_t)channels, &n) || n > max_bytes)
        return FAIL(MDM_ERR_IMAGE_TOO_LARGE, "PNM: %ux%u exceeds the %zu-byte budget",
                    (unsigned)w, (unsigned)h, max_bytes);
    size_t bps = maxval > 255 ? 2 : 1;
    if (!plain) { /* one whitespace byte, then the raster */
        if (c.pos >= size || !is_space(data[c.pos]))
            return BAD("PNM: no whitespace after maxval");
        c.pos++;
        if ((size - c.pos) / bps < n)
            return BAD("PNM: raster is truncated (%zu of %zu samples)", (size - c.pos) / bps, n);
    } else if ((size - c.pos) / 2 < n) { /* each plain sample takes >= 2 bytes */
        return BAD("PNM: raster is truncated");
    }
    uint8_t *pix = malloc(n);
    if (!pix)
        return FAIL(MDM_ERR_NO_MEMORY, "PNM: out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (plain) {
            if (!number(&c, 65535, &v)) {
                free(pix);
                return BAD("PNM: sample %zu is missing or malformed", i);
            }
        } else {
            const uint8_t *s = data + c.pos + i * bps;
            v = bps == 2 ? (uint32_t)s[0] << 8 | s[1] : s[0];
        }
        if (v > maxval) {
            free(pix);
            return BAD("PNM: sample %zu is above maxval %u", i, (unsigned)maxval);
        }
        pix[i] = scale(v, maxval);
    }
    out->w = (int)w;
    out->h = (int)h;
    out->channels = channels;
    out->pixels = pix;
    return MDM_OK;
}

mdm_status mdm_image_encode_pnm(const mdm_image *img, uint8_t *buf, size_t cap, size_t *size) {
    char head[48];
    size_t n;
    if (!size)
        return MDM_ERR_INVALID_ARG;
    *size = 0;
    if (!img || !img->pixels || img->w < 1 || img->h < 1 ||
        (img->channels != 1 && img->channels != 3))
        return MDM_ERR_INVALID_ARG;
    int hl = snprintf(head, sizeof head, "P%c\n%d %d\n255\n", img->channels == 1 ? '5' : '6',
                      img->w, img->h);
    n = mdm_image_size(img);
    if (hl < 0 || n > SIZE_MAX - (size_t)hl)
        return MDM_ERR_IMAGE_TOO_LARGE;
    *size = (size_t)hl + n;
    if (!buf || cap < *size)
        return MDM_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, head, (size_t)hl);
    memcpy(buf + hl, img->pixels, n);
    return MDM_OK;
}
