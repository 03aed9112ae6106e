/* Pixel bytes <-> model floats (pixels.h). */
#include "pixels.h"

void mdm_image_bytes_to_floats(const uint8_t *src, size_t n, float *dst) {
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i] / 127.5f - 1.0f;
}

void mdm_image_floats_to_bytes(const float *src, size_t n, uint8_t *dst) {
    for (size_t i = 0; i < n; i++) {
        float x = src[i];
        x = x > -1.0f ? x : -1.0f; /* also NaN */
        x = x < 1.0f ? x : 1.0f;
        dst[i] = (uint8_t)((x + 1.0f) * 127.5f + 0.5f);
    }
}
