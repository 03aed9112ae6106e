/* PNG reader (ISO/IEC 15948).  Two passes over the chunks: the first
 * checks every CRC, the chunk order and the header, and sums the IDAT
 * lengths, so that the limits are applied before the first allocation;
 * the second gathers the IDAT payloads for one zlib stream. */
#include "image/internal.h"
#include "image/zlib.h"
#include "model/crc32.h"
#include <string.h>

#define FAIL(st, ...) mdm_image_fail(err, err_len, st, __VA_ARGS__)
#define BAD(...) FAIL(MDM_ERR_BAD_IMAGE, __VA_ARGS__)

/* Deflate cannot expand more than 1032:1 (a 258-byte match in 2 bits), so
 * fewer compressed bytes than raw/1032 cannot be a complete image. */
#define MAX_RATIO 1032

typedef struct {
    uint32_t w, h;
    int depth, ctype, samples; /* samples per pixel in the file */
    uint8_t plte[256][3];
    int nplte;
    uint8_t alpha[256]; /* palette alpha from tRNS */
    int nalpha;
    unsigned key[3]; /* tRNS colour key of gray / RGB */
    int has_key;
    size_t idat_len;
} png_info;

static int is_type(const uint8_t *t, const char *name) { return memcmp(t, name, 4) == 0; }

static mdm_status read_ihdr(png_info *p, const uint8_t *d, uint32_t len, uint32_t max_side,
                            char *err, size_t err_len) {
    if (len != 13)
        return BAD("PNG: IHDR length %u, not 13", (unsigned)len);
    p->w = mdm_image_be32(d);
    p->h = mdm_image_be32(d + 4);
    p->depth = d[8];
    p->ctype = d[9];
    if (p->w == 0 || p->h == 0 || p->w > 0x7fffffffu || p->h > 0x7fffffffu)
        return BAD("PNG: invalid size %ux%u", (unsigned)p->w, (unsigned)p->h);
    static const int samples[7] = {1, 0, 3, 1, 2, 0, 4};
    static const char *const depths[7] = {"\1\2\4\10\20", "", "\10\20", "\1\2\4\10", "\10\20", "",
                                          "\10\20"};
    if (p->ctype > 6 || !samples[p->ctype] || !p->depth || !strchr(depths[p->ctype], p->depth))
        return BAD("PNG: bit depth %d with colour type %d is invalid", p->depth, p->ctype);
    p->samples = samples[p->ctype];
    if (d[10] != 0 || d[11] != 0)
        return BAD("PNG: unknown compression (%d) or filter method (%d)", d[10], d[11]);
    if (d[12] == 1)
        return BAD("PNG: interlaced (Adam7) images are not supported");
    if (d[12] != 0)
        return BAD("PNG: unknown interlace method %d", d[12]);
    if (p->w > max_side || p->h > max_side)
        return FAIL(MDM_ERR_IMAGE_TOO_LARGE, "PNG: %ux%u exceeds the %u-pixel side limit",
                    (unsigned)p->w, (unsigned)p->h, (unsigned)max_side);
    return MDM_OK;
}

/* tRNS is ancillary: a malformed one is ignored, as other readers do. */
static void read_trns(png_info *p, const uint8_t *d, uint32_t len) {
    if (p->ctype == 3 && len <= (uint32_t)p->nplte) {
        memcpy(p->alpha, d, len);
        p->nalpha = (int)len;
    } else if ((p->ctype == 0 && len == 2) || (p->ctype == 2 && len == 6)) {
        for (uint32_t i = 0; i < len / 2; i++)
            p->key[i] = (unsigned)d[2 * i] << 8 | d[2 * i + 1];
        p->has_key = 1;
    }
}

/* Pass 1.  Walks chunks up to IEND, which must be there. */
static mdm_status scan(png_info *p, const uint8_t *data, size_t size, uint32_t max_side,
                       char *err, size_t err_len) {
    size_t pos = 8;
    int n = 0, seen_idat = 0, idat_done = 0, seen_trns = 0;
    for (;; n++) {
        if (size - pos < 12)
            return BAD("PNG: truncated at offset %zu", pos);
        uint32_t len = mdm_image_be32(data + pos);
        const uint8_t *type = data + pos + 4, *d = data + pos + 8;
        if (len > 0x7fffffffu || len > size - pos - 12)
            return BAD("PNG: chunk at offset %zu runs past the end", pos);
        for (int i = 0; i < 4; i++)
            if (!((type[i] | 0x20) >= 'a' && (type[i] | 0x20) <= 'z'))
                return BAD("PNG: invalid chunk type at offset %zu", pos);
        if (mdm_crc32(0, type, (size_t)len + 4) != mdm_image_be32(d + len))
            return BAD("PNG: CRC mismatch in chunk %.4s", (const char *)type);
        if ((n == 0) != is_type(type, "IHDR"))
            return BAD(n == 0 ? "PNG: IHDR is not the first chunk" : "PNG: second IHDR");
        pos += 12 + (size_t)len;
        if (is_type(type, "IDAT")) {
            if (idat_done)
                return BAD("PNG: IDAT chunks are not consecutive");
            if (p->ctype == 3 && !p->nplte)
                return BAD("PNG: palette image without PLTE before IDAT");
            seen_idat = 1;
            p->idat_len += len;
            continue;
        }
        idat_done = seen_idat;
        mdm_status st = MDM_OK;
        if (is_type(type, "IHDR")) {
            st = read_ihdr(p, d, len, max_side, err, err_len);
        } else if (is_type(type, "PLTE")) {
            if (seen_idat || p->nplte)
                return BAD("PNG: PLTE after IDAT or repeated");
            if (len == 0 || len % 3 || len > 768)
                return BAD("PNG: PLTE length %u is invalid", (unsigned)len);
            if (p->ctype == 0 || p->ctype == 4)
                return BAD("PNG: PLTE in a gray image");
            p->nplte = (int)(len / 3);
            memcpy(p->plte, d, len);
        } else if (is_type(type, "tRNS")) {
            if (!seen_trns && !seen_idat)
                read_trns(p, d, len);
            seen_trns = 1;
        } else if (is_type(type, "IEND")) {
            return seen_idat ? MDM_OK : BAD("PNG: no IDAT chunk");
        } else if (!(type[0] & 0x20)) {
            return BAD("PNG: unknown critical chunk %.4s", (const char *)type);
        }
        if (st != MDM_OK)
            return st;
    }
}

/* Reverses the five row filters in place; 0 on an unknown filter type. */
static int unfilter(uint8_t *raw, size_t h, size_t rowbytes, size_t bpp) {
    const uint8_t *prev = NULL;
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = raw + y * (rowbytes + 1) + 1;
        int type = row[-1];
        for (size_t i = 0; i < rowbytes; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= bpp ? prev[i - bpp] : 0;
            switch (type) {
            case 0: break;
            case 1: row[i] = (uint8_t)(row[i] + a); break;
            case 2: row[i] = (uint8_t)(row[i] + b); break;
            case 3: row[i] = (uint8_t)(row[i] + ((a + b) >> 1)); break;
            case 4: row[i] = (uint8_t)(row[i] + mdm_image_paeth(a, b, c)); break;
            default: return 0;
            }
        }
        prev = row;
    }
    return 1;
}

static unsigned sample(const uint8_t *row, size_t i, int depth) {
    if (depth == 8)
        return row[i];
    if (depth == 16)
        return (unsigned)row[2 * i] << 8 | row[2 * i + 1];
    size_t bit = i * (size_t)depth;
    return (row[bit >> 3] >> (8 - depth - (int)(bit & 7))) & ((1u << depth) - 1);
}

static uint8_t to8(unsigned v, int depth) {
    if (depth == 16)
        return (uint8_t)((v * 255u + 32767u) / 65535u);
    return (uint8_t)(v * (255u / ((1u << depth) - 1))); /* 1, 2, 4, 8 bits: exact */
}

/* Unpacks one unfiltered row into 8-bit output pixels. */
static int expand_row(const png_info *p, const uint8_t *row, uint8_t *o, int out_ch) {
    for (uint32_t x = 0; x < p->w; x++, o += out_ch) {
        size_t s0 = (size_t)x * (size_t)p->samples;
        if (p->ctype == 3) {
            unsigned idx = sample(row, x, p->depth);
            if ((int)idx >= p->nplte)
                return 0;
            memcpy(o, p->plte[idx], 3);
            if (out_ch == 4)
                o[3] = (int)idx < p->nalpha ? p->alpha[idx] : 255;
            continue;
        }
        int match = p->has_key;
        for (int c = 0; c < p->samples; c++) {
            unsigned v = sample(row, s0 + (size_t)c, p->depth);
            o[c] = to8(v, p->depth);
            match = match && v == p->key[c]; /* key[] only read with tRNS */
        }
        if (p->has_key)
            o[p->samples] = match ? 0 : 255;
    }
    return 1;
}

static mdm_status decode(const png_info *p, const uint8_t *data, size_t max_bytes, mdm_image *out,
                         char *err, size_t err_len) {
    int out_ch = p->ctype == 3 ? (p->nalpha ? 4 : 3) : p->samples + p->has_key;
    size_t bits = (size_t)p->samples * (size_t)p->depth, rowbytes, raw_len, out_len;
    size_t bpp = bits >= 8 ? bits / 8 : 1;
    if (!mdm_image_mul(p->w, bits, &rowbytes) || rowbytes > SIZE_MAX - 8 ||
        !mdm_image_mul((rowbytes + 7) / 8 + 1, p->h, &raw_len) ||
        !mdm_image_mul(p->w, p->h, &out_len) || !mdm_image_mul(out_len, (size_t)out_ch, &out_len) ||
        raw_len > SIZE_MAX - out_len || raw_len + out_len > SIZE_MAX - p->idat_len ||
        raw_len + out_len + p->idat_len > max_bytes)
        return FAIL(MDM_ERR_IMAGE_TOO_LARGE, "PNG: %ux%u needs more than the %zu-byte budget",
                    (unsigned)p->w, (unsigned)p->h, max_bytes);
    rowbytes = (rowbytes + 7) / 8;
    if (raw_len / MAX_RATIO > p->idat_len + 1)
        return BAD("PNG: %zu bytes of image data cannot hold %ux%u", p->idat_len, (unsigned)p->w,
                   (unsigned)p->h);
    uint8_t *idat = malloc(p->idat_len ? p->idat_len : 1), *raw = malloc(raw_len);
    uint8_t *pix = malloc(out_len);
    mdm_status st = MDM_OK;
    if (!idat || !raw || !pix) {
        st = FAIL(MDM_ERR_NO_MEMORY, "PNG: out of memory");
        goto done;
    }
    size_t pos = 8, k = 0, got = 0;
    while (k < p->idat_len) { /* pass 2: scan() vouched for the chunk layout */
        uint32_t len = mdm_image_be32(data + pos);
        if (is_type(data + pos + 4, "IDAT")) {
            memcpy(idat + k, data + pos + 8, len);
            k += len;
        }
        pos += 12 + (size_t)len;
    }
    st = mdm_image_zlib_inflate(idat, p->idat_len, raw, raw_len, &got);
    if (st == MDM_ERR_BUFFER_TOO_SMALL)
        st = BAD("PNG: more image data than %ux%u needs", (unsigned)p->w, (unsigned)p->h);
    else if (st != MDM_OK)
        st = BAD("PNG: corrupt compressed image data");
    else if (got != raw_len)
        st = BAD("PNG: image data ends early (%zu of %zu bytes)", got, raw_len);
    else if (!unfilter(raw, p->h, rowbytes, bpp))
        st = BAD("PNG: unknown row filter type");
    if (st != MDM_OK)
        goto done;
    size_t out_row = (size_t)p->w * (size_t)out_ch;
    int direct = p->depth == 8 && p->ctype != 3 && !p->has_key; /* rows are already pixels */
    for (uint32_t y = 0; y < p->h; y++) {
        const uint8_t *row = raw + (size_t)y * (rowbytes + 1) + 1;
        if (direct)
            memcpy(pix + y * out_row, row, out_row);
        else if (!expand_row(p, row, pix + y * out_row, out_ch)) {
            st = BAD("PNG: palette index out of range (%d colours)", p->nplte);
            goto done;
        }
    }
    out->w = (int)p->w;
    out->h = (int)p->h;
    out->channels = out_ch;
    out->pixels = pix;
    pix = NULL;
done:
    free(idat);
    free(raw);
    free(pix);
    return st;
}

mdm_status mdm_image_decode_png(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                                mdm_image *out, char *err, size_t err_len) {
    uint32_t max_side;
    size_t max_bytes;
    if (err && err_len)
        err[0] = 0;
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || (!data && size))
        return FAIL(MDM_ERR_INVALID_ARG, "no data or no output");
    mdm_image_limits_get(limits, &max_side, &max_bytes);
    if (size < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)
        return BAD("not a PNG file (bad signature)");
    png_info p;
    memset(&p, 0, sizeof p);
    mdm_status st = scan(&p, data, size, max_side, err, err_len);
    return st == MDM_OK ? decode(&p, data, max_bytes, out, err, err_len) : st;
}
