/* mdm_image lifetime, limits, error text and the format sniffing decoder. */
#include "image/internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

mdm_status mdm_image_fail(char *err, size_t err_len, mdm_status st, const char *fmt, ...) {
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return st;
}

void mdm_image_limits_get(const mdm_image_limits *l, uint32_t *max_side, size_t *max_bytes) {
    *max_side = l && l->max_side ? l->max_side : MDM_IMAGE_MAX_SIDE;
    *max_bytes = l && l->max_bytes ? l->max_bytes : MDM_IMAGE_MAX_BYTES;
}

size_t mdm_image_size(const mdm_image *img) {
    if (!img || img->w <= 0 || img->h <= 0 || img->channels <= 0)
        return 0;
    return (size_t)img->w * (size_t)img->h * (size_t)img->channels;
}

mdm_status mdm_image_alloc(mdm_image *img, int w, int h, int channels) {
    size_t n;
    if (!img)
        return MDM_ERR_INVALID_ARG;
    memset(img, 0, sizeof *img);
    if (w < 1 || h < 1 || channels < 1 || channels > 4)
        return MDM_ERR_INVALID_ARG;
    if (!mdm_image_mul((size_t)w, (size_t)h, &n) || !mdm_image_mul(n, (size_t)channels, &n))
        return MDM_ERR_IMAGE_TOO_LARGE;
    img->pixels = calloc(n, 1);
    if (!img->pixels)
        return MDM_ERR_NO_MEMORY;
    img->w = w;
    img->h = h;
    img->channels = channels;
    return MDM_OK;
}

void mdm_image_free(mdm_image *img) {
    if (!img)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

mdm_status mdm_image_decode(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                            mdm_image *out, char *err, size_t err_len) {
    if (err && err_len)
        err[0] = 0;
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || (!data && size))
        return mdm_image_fail(err, err_len, MDM_ERR_INVALID_ARG, "no data or no output");
    if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
        return mdm_image_decode_png(data, size, limits, out, err, err_len);
    if (size >= 2 && data[0] == 'P' && strchr("2356", data[1]) && data[1])
        return mdm_image_decode_pnm(data, size, limits, out, err, err_len);
    return mdm_image_fail(err, err_len, MDM_ERR_BAD_IMAGE, "not a PNG or PNM (P2/P3/P5/P6) image");
}
