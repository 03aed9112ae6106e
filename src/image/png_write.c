/* PNG writer: 8-bit gray, gray+alpha, RGB, RGBA.  Each row gets the filter
 * with the smallest sum of |signed bytes| (the usual libpng heuristic);
 * the filtered rows are deflated by mdm_image_zlib_deflate. */
#include "image/internal.h"
#include "image/zlib.h"
#include "model/crc32.h"
#include <string.h>

#define IDAT_MAX 65536 /* payload per IDAT chunk */

static void filter_row(int type, const uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp,
                       uint8_t *out) {
    for (size_t i = 0; i < n; i++) {
        int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
        int pred = type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) >> 1
                 : type == 4 ? mdm_image_paeth(a, b, c) : 0;
        out[i] = (uint8_t)(cur[i] - pred);
    }
}

static size_t cost(const uint8_t *p, size_t n) {
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i] < 128 ? p[i] : 256 - p[i];
    return s;
}

/* raw: h rows of filter byte + filtered row. */
static mdm_status filter_image(const mdm_image *img, uint8_t *raw) {
    size_t bpp = (size_t)img->channels, n = (size_t)img->w * bpp;
    uint8_t *zero = calloc(n, 1), *trial = malloc(n);
    if (!zero || !trial) {
        free(zero);
        free(trial);
        return MDM_ERR_NO_MEMORY;
    }
    const uint8_t *prev = zero;
    for (size_t y = 0; y < (size_t)img->h; y++) {
        const uint8_t *cur = img->pixels + y * n;
        uint8_t *out = raw + y * (n + 1);
        size_t best = SIZE_MAX;
        for (int t = 0; t < 5; t++) {
            filter_row(t, cur, prev, n, bpp, trial);
            size_t c = cost(trial, n);
            if (c < best) {
                best = c;
                out[0] = (uint8_t)t;
                memcpy(out + 1, trial, n);
            }
        }
        prev = cur;
    }
    free(zero);
    free(trial);
    return MDM_OK;
}

static uint8_t *put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *chunk(uint8_t *p, const char *type, const uint8_t *data, size_t len) {
    p = put32(p, (uint32_t)len);
    memcpy(p, type, 4);
    if (len)
        memcpy(p + 4, data, len);
    uint32_t crc = mdm_crc32(0, p, len + 4);
    return put32(p + 4 + len, crc);
}

mdm_status mdm_image_encode_png(const mdm_image *img, uint8_t *buf, size_t cap, size_t *size) {
    static const uint8_t ctype[5] = {0, 0, 4, 2, 6};
    size_t raw_len, zcap, zlen = 0;
    if (!size)
        return MDM_ERR_INVALID_ARG;
    *size = 0;
    if (!img || !img->pixels || img->w < 1 || img->h < 1 || img->channels < 1 ||
        img->channels > 4)
        return MDM_ERR_INVALID_ARG;
    if (!mdm_image_mul((size_t)img->w, (size_t)img->channels, &raw_len) ||
        !mdm_image_mul(raw_len + 1, (size_t)img->h, &raw_len) ||
        !(zcap = mdm_image_zlib_bound(raw_len)) || zcap > SIZE_MAX / 2)
        return MDM_ERR_IMAGE_TOO_LARGE;
    uint8_t *raw = malloc(raw_len), *z = malloc(zcap);
    mdm_status st = raw && z ? filter_image(img, raw) : MDM_ERR_NO_MEMORY;
    if (st == MDM_OK)
        st = mdm_image_zlib_deflate(raw, raw_len, z, zcap, &zlen);
    free(raw);
    if (st != MDM_OK) {
        free(z);
        return st;
    }
    size_t nidat = (zlen + IDAT_MAX - 1) / IDAT_MAX;
    *size = 8 + 25 + 12 * nidat + zlen + 12;
    if (!buf || cap < *size) {
        free(z);
        return MDM_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t ihdr[13], *p = buf;
    put32(ihdr, (uint32_t)img->w);
    put32(ihdr + 4, (uint32_t)img->h);
    ihdr[8] = 8;
    ihdr[9] = ctype[img->channels];
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filters, no interlace */
    memcpy(p, "\x89PNG\r\n\x1a\n", 8);
    p = chunk(p + 8, "IHDR", ihdr, 13);
    for (size_t off = 0; off < zlen; off += IDAT_MAX)
        p = chunk(p, "IDAT", z + off, zlen - off < IDAT_MAX ? zlen - off : IDAT_MAX);
    chunk(p, "IEND", NULL, 0);
    free(z);
    return MDM_OK;
}
