/* Helpers shared by the files of src/image only. */
#ifndef MDM_IMAGE_INTERNAL_H
#define MDM_IMAGE_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "image/image.h"

/* Writes a formatted reason into err (if any) and returns st. */
mdm_status mdm_image_fail(char *err, size_t err_len, mdm_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The limits to apply: defaults for NULL or zero fields. */
void mdm_image_limits_get(const mdm_image_limits *l, uint32_t *max_side, size_t *max_bytes);

/* *r = a * b; 0 on overflow. */
static inline int mdm_image_mul(size_t a, size_t b, size_t *r) {
    if (b && a > SIZE_MAX / b)
        return 0;
    *r = a * b;
    return 1;
}

/* PNG's Paeth predictor (also the filter the encoder tries). */
static inline uint8_t mdm_image_paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

static inline uint32_t mdm_image_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
