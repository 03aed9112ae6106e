/* Channel conversion, resizing and bytes <-> floats (rules in image.h).
 * Resizing is separable: each axis gets a table of integer taps with a
 * common denominator (box: src, bilinear: 2*dst), so the result is exact
 * and the same on every platform; a horizontal pass into 32-bit sums is
 * followed by a vertical pass in 64 bits and one rounding. */
#include "image/internal.h"
#include <string.h>

#define MAX_SIDE (1 << 20) /* keeps 255 * denom_x * denom_y below 2^64 */

typedef struct {
    int *first, *count; /* per output index: first source index, tap count */
    uint32_t *w;        /* count[i] weights from first[i] onwards, packed */
    size_t *off;        /* where output i's weights start in w */
    uint64_t denom;
} axis;

static void axis_free(axis *a) {
    free(a->first);
    free(a->count);
    free(a->w);
    free(a->off);
}

/* Area average when shrinking (exact overlaps in units of 1/dst), else
 * bilinear on pixel centres: source x = (i + 0.5) * src/dst - 0.5. */
static int axis_init(axis *a, int src, int dst) {
    uint64_t s = (uint64_t)src, d = (uint64_t)dst, k = 0;
    size_t cap = dst < src ? (size_t)src + 2 * (size_t)dst : 2 * (size_t)dst;
    a->first = malloc((size_t)dst * sizeof *a->first);
    a->count = malloc((size_t)dst * sizeof *a->count);
    a->off = malloc((size_t)dst * sizeof *a->off);
    a->w = malloc(cap * sizeof *a->w);
    if (!a->first || !a->count || !a->off || !a->w)
        return 0;
    a->denom = dst < src ? s : 2 * d;
    for (uint64_t i = 0; i < d; i++) {
        a->off[i] = (size_t)k;
        if (dst < src) {
            uint64_t lo = i * s, hi = lo + s, j0 = lo / d, j1 = (hi + d - 1) / d;
            a->first[i] = (int)j0;
            a->count[i] = (int)(j1 - j0);
            for (uint64_t j = j0; j < j1; j++) {
                uint64_t l = j * d > lo ? j * d : lo, r = (j + 1) * d < hi ? (j + 1) * d : hi;
                a->w[k++] = (uint32_t)(r - l);
            }
        } else {
            int64_t num = (int64_t)((2 * i + 1) * s) - (int64_t)d;
            uint64_t j0 = 0, f = 0;
            if (num > 0) {
                j0 = (uint64_t)num / (2 * d);
                f = (uint64_t)num % (2 * d);
            }
            if (j0 >= s - 1) {
                j0 = s - 1;
                f = 0;
            }
            a->first[i] = (int)j0;
            a->count[i] = f ? 2 : 1;
            a->w[k++] = (uint32_t)(2 * d - f);
            if (f)
                a->w[k++] = (uint32_t)f;
        }
    }
    return 1;
}

/* Resamples src into the nw x nh window at (x0, y0) of dst (same channels). */
static mdm_status resample(const mdm_image *src, mdm_image *dst, int x0, int y0, int nw, int nh) {
    axis ax = {0}, ay = {0};
    size_t c = (size_t)src->channels, row = (size_t)nw * c;
    uint32_t *mid = NULL;
    mdm_status st = MDM_ERR_NO_MEMORY;
    if (!axis_init(&ax, src->w, nw) || !axis_init(&ay, src->h, nh))
        goto done;
    if (!(mid = malloc(row * (size_t)src->h * sizeof *mid)))
        goto done;
    for (size_t y = 0; y < (size_t)src->h; y++) {
        const uint8_t *in = src->pixels + y * (size_t)src->w * c;
        for (int i = 0; i < nw; i++) {
            const uint32_t *w = ax.w + ax.off[i];
            const uint8_t *p = in + (size_t)ax.first[i] * c;
            for (size_t ch = 0; ch < c; ch++) {
                uint32_t sum = 0;
                for (int t = 0; t < ax.count[i]; t++)
                    sum += p[(size_t)t * c + ch] * w[t];
                mid[y * row + (size_t)i * c + ch] = sum;
            }
        }
    }
    uint64_t den = ax.denom * ay.denom;
    for (int j = 0; j < nh; j++) {
        const uint32_t *w = ay.w + ay.off[j];
        uint8_t *out = dst->pixels + ((size_t)(y0 + j) * (size_t)dst->w + (size_t)x0) * c;
        for (size_t e = 0; e < row; e++) {
            uint64_t acc = 0;
            for (int t = 0; t < ay.count[j]; t++)
                acc += (uint64_t)mid[(size_t)(ay.first[j] + t) * row + e] * w[t];
            out[e] = (uint8_t)((acc + den / 2) / den);
        }
    }
    st = MDM_OK;
done:
    axis_free(&ax);
    axis_free(&ay);
    free(mid);
    return st;
}

static int valid(const mdm_image *img) {
    return img && img->pixels && img->w > 0 && img->h > 0 && img->channels >= 1 &&
           img->channels <= 4;
}

mdm_status mdm_image_resize(const mdm_image *src, int w, int h, mdm_image_fit fit, mdm_image *out) {
    if (!out)
        return MDM_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!valid(src) || w < 1 || h < 1 || (fit != MDM_FIT_PAD && fit != MDM_FIT_STRETCH))
        return MDM_ERR_INVALID_ARG;
    if (w > MAX_SIDE || h > MAX_SIDE || src->w > MAX_SIDE || src->h > MAX_SIDE)
        return MDM_ERR_IMAGE_TOO_LARGE;
    int nw = w, nh = h;
    if (fit == MDM_FIT_PAD) { /* the long side fills, the other is rounded */
        uint64_t sw = (uint64_t)src->w, sh = (uint64_t)src->h;
        if (sw * (uint64_t)h >= sh * (uint64_t)w)
            nh = (int)((2 * sh * (uint64_t)w + sw) / (2 * sw));
        else
            nw = (int)((2 * sw * (uint64_t)h + sh) / (2 * sh));
        nw = nw < 1 ? 1 : nw;
        nh = nh < 1 ? 1 : nh;
    }
    mdm_status st = mdm_image_alloc(out, w, h, src->channels);
    if (st == MDM_OK)
        st = resample(src, out, (w - nw) / 2, (h - nh) / 2, nw, nh);
    if (st != MDM_OK)
        mdm_image_free(out);
    return st;
}

mdm_status mdm_image_convert(const mdm_image *src, int channels, mdm_image *out) {
    if (!out)
        return MDM_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!valid(src) || channels < 1 || channels > 4)
        return MDM_ERR_INVALID_ARG;
    mdm_status st = mdm_image_alloc(out, src->w, src->h, channels);
    if (st != MDM_OK)
        return st;
    size_t n = (size_t)src->w * (size_t)src->h;
    int sc = src->channels, color = sc >= 3;
    const uint8_t *p = src->pixels;
    uint8_t *o = out->pixels;
    for (size_t i = 0; i < n; i++, p += sc, o += channels) {
        uint32_t r = p[0], g = color ? p[1] : r, b = color ? p[2] : r;
        uint32_t a = sc == 2 ? p[1] : sc == 4 ? p[3] : 255;
        /* luma in thousandths; gray stays exact (1000 g) */
        uint32_t y1000 = color ? 299 * r + 587 * g + 114 * b : 1000 * r;
        switch (channels) {
        case 1: o[0] = (uint8_t)(((uint64_t)y1000 * a + 127500) / 255000); break;
        case 2: o[0] = (uint8_t)((y1000 + 500) / 1000); o[1] = (uint8_t)a; break;
        case 3: /* c*a/255 never ties: 2ca is even, 255 times an odd is odd */
            o[0] = (uint8_t)((r * a + 127) / 255);
            o[1] = (uint8_t)((g * a + 127) / 255);
            o[2] = (uint8_t)((b * a + 127) / 255);
            break;
        default: o[0] = (uint8_t)r; o[1] = (uint8_t)g; o[2] = (uint8_t)b; o[3] = (uint8_t)a;
        }
    }
    return MDM_OK;
}

mdm_status mdm_image_prepare(const mdm_image *src, int w, int h, int channels, mdm_image_fit fit,
                             mdm_image *out) {
    mdm_image tmp = {0};
    if (!out)
        return MDM_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!valid(src))
        return MDM_ERR_INVALID_ARG;
    if (src->channels == channels)
        return mdm_image_resize(src, w, h, fit, out);
    mdm_status st = mdm_image_convert(src, channels, &tmp);
    if (st == MDM_OK)
        st = mdm_image_resize(&tmp, w, h, fit, out);
    mdm_image_free(&tmp);
    return st;
}

mdm_status mdm_image_to_planar(const mdm_image *img, float *dst, size_t n) {
    if (!valid(img) || !dst)
        return MDM_ERR_INVALID_ARG;
    size_t plane = (size_t)img->w * (size_t)img->h, c = (size_t)img->channels;
    if (n != plane * c)
        return MDM_ERR_INVALID_ARG;
    for (size_t i = 0; i < plane; i++)
        for (size_t ch = 0; ch < c; ch++)
            dst[ch * plane + i] = (float)img->pixels[i * c + ch] / 127.5f - 1.0f;
    return MDM_OK;
}

mdm_status mdm_image_from_planar(const float *src, int w, int h, int channels, mdm_image *out) {
    if (!out)
        return MDM_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!src)
        return MDM_ERR_INVALID_ARG;
    mdm_status st = mdm_image_alloc(out, w, h, channels);
    if (st != MDM_OK)
        return st;
    size_t plane = (size_t)w * (size_t)h, c = (size_t)channels;
    for (size_t i = 0; i < plane; i++)
        for (size_t ch = 0; ch < c; ch++)
            mdm_image_floats_to_bytes(src + ch * plane + i, 1, out->pixels + i * c + ch);
    return MDM_OK;
}
