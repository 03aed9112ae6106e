/* Pixel bytes <-> model floats: the one rule the tasks and the image
 * library share (the codecs in src/image stay out of the core). */
#ifndef MDM_PIXELS_H
#define MDM_PIXELS_H
#include <stddef.h>
#include <stdint.h>

/* byte / 127.5 - 1: [0, 255] -> [-1, 1]. */
void mdm_image_bytes_to_floats(const uint8_t *src, size_t n, float *dst);
/* Clamped to [-1, 1] (NaN -> -1), then round((x + 1) * 127.5). */
void mdm_image_floats_to_bytes(const float *src, size_t n, uint8_t *dst);

#endif
