/* Image I/O without libraries: PNG and PNM in and out of memory buffers,
 * channel conversion, resizing to the model's size, bytes <-> floats.
 *
 * Pixels
 *   An mdm_image is 8 bits per sample, interleaved, row-major, top row
 *   first, no padding: sample (x, y, c) is pixels[(y*w + x)*channels + c].
 *   channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (alpha not premultiplied).
 *
 * Memory
 *   Decoders and converters allocate the output pixels (and their scratch)
 *   with malloc; release the image with mdm_image_free().  Every error path
 *   frees what it allocated and leaves *out zeroed.  Nothing here touches
 *   the file system, prints or keeps state between calls.
 *
 * Reading (mdm_image_decode: PNG or PNM, told apart by their magic)
 *   PNG: every colour type; bit depths 1/2/4/8 for gray and palette, 8 for
 *     the others, 16 for any non-palette type (down-converted to 8 bits by
 *     v*255/65535 rounded).  Palette images become RGB, or RGBA with tRNS;
 *     a tRNS colour key on gray/RGB adds an alpha channel.  All five row
 *     filters, IDAT split anywhere, chunk CRCs and the zlib adler32 are
 *     checked; unknown ancillary chunks are skipped, unknown critical ones
 *     rejected.  Interlaced (Adam7) PNGs are rejected (MDM_ERR_BAD_IMAGE).
 *   PNM: P2/P5 (gray) and P3/P6 (RGB), maxval 1..65535; samples are scaled
 *     to 0..255 by v*255/maxval rounded.  Bytes after the raster are ignored.
 *   Limits: width and height <= max_side, and every buffer one decode
 *     allocates (compressed data, filtered rows, pixels) together <=
 *     max_bytes; larger images fail with MDM_ERR_IMAGE_TOO_LARGE before
 *     anything big is allocated.  A PNG whose compressed data is too short to
 *     possibly fill its header's dimensions fails before allocating too.
 *   Errors: MDM_ERR_BAD_IMAGE (malformed or unsupported; err says which),
 *     MDM_ERR_IMAGE_TOO_LARGE, MDM_ERR_NO_MEMORY, MDM_ERR_INVALID_ARG.
 *
 * Writing (size-query pattern)
 *   The encoders write into buf (cap bytes) and always set *size to the full
 *   encoded size; when buf is NULL or cap < *size they return
 *   MDM_ERR_BUFFER_TOO_SMALL and write nothing, so call once with NULL to
 *   size the buffer.  PNG: 8-bit gray, gray+alpha, RGB or RGBA, per-row
 *   filter chosen by the minimum-sum-of-absolute-differences heuristic,
 *   deflate with fixed Huffman codes or stored blocks, whichever is smaller.
 *   PNM: P5 for gray, P6 for RGB (other channel counts: MDM_ERR_INVALID_ARG).
 *
 * Preparing model input (mdm_image_prepare = convert, then resize)
 *   Channels: RGB -> gray by ITU-R BT.601 luma (299 R + 587 G + 114 B)/1000
 *     rounded; gray -> RGB replicates; alpha is composited over black (the
 *     model's data is white-on-black Fashion-MNIST), i.e. c*a/255 rounded,
 *     when the target has no alpha; a missing alpha becomes 255.
 *   Size: per axis, area average (box filter, exact pixel coverage) when
 *     shrinking and bilinear (pixel centres, edges clamped) when growing;
 *     computed in exact integer arithmetic and rounded half up.
 *     MDM_FIT_PAD (default) scales to fit inside W x H keeping the aspect
 *     ratio and centres the result on black (0, alpha 0 too);
 *     MDM_FIT_STRETCH scales each axis to W x H independently.
 *   Floats: x = b/127.5 - 1; back b = round((clamp(x, -1, 1) + 1) * 127.5),
 *     NaN -> 0.  The model takes planes (C, H, W): mdm_image_to_planar(). */
#ifndef MDM_IMAGE_IMAGE_H
#define MDM_IMAGE_IMAGE_H
#include <stddef.h>
#include <stdint.h>
#include "mdm_rt.h"
#include "pixels.h"

typedef struct {
    int w, h, channels;
    uint8_t *pixels; /* w*h*channels bytes from malloc; owned by the image */
} mdm_image;

#define MDM_IMAGE_MAX_SIDE 16384                /* default max width/height */
#define MDM_IMAGE_MAX_BYTES ((size_t)256 << 20) /* default allocation budget */

typedef struct {
    uint32_t max_side; /* 0: MDM_IMAGE_MAX_SIDE */
    size_t max_bytes;  /* 0: MDM_IMAGE_MAX_BYTES */
} mdm_image_limits;

typedef enum {
    MDM_FIT_PAD = 0,     /* keep aspect, centre on black */
    MDM_FIT_STRETCH = 1, /* fill W x H, aspect not kept */
} mdm_image_fit;

/* Zeroed pixels; w, h >= 1, channels 1..4, w*h*channels must fit in size_t. */
mdm_status mdm_image_alloc(mdm_image *img, int w, int h, int channels);
/* Frees the pixels and zeroes the struct; NULL and zeroed images are fine. */
void mdm_image_free(mdm_image *img);
size_t mdm_image_size(const mdm_image *img); /* w*h*channels */

/* limits may be NULL (defaults); err (may be NULL) receives a NUL-terminated
 * reason on failure, truncated to err_len. */
mdm_status mdm_image_decode(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                            mdm_image *out, char *err, size_t err_len);
mdm_status mdm_image_decode_png(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                                mdm_image *out, char *err, size_t err_len);
mdm_status mdm_image_decode_pnm(const uint8_t *data, size_t size, const mdm_image_limits *limits,
                                mdm_image *out, char *err, size_t err_len);

mdm_status mdm_image_encode_png(const mdm_image *img, uint8_t *buf, size_t cap, size_t *size);
mdm_status mdm_image_encode_pnm(const mdm_image *img, uint8_t *buf, size_t cap, size_t *size);

/* New image with the given channel count (1..4), rules above. */
mdm_status mdm_image_convert(const mdm_image *src, int channels, mdm_image *out);
/* New w x h image, same channels.  Sides up to 1<<20 (else IMAGE_TOO_LARGE). */
mdm_status mdm_image_resize(const mdm_image *src, int w, int h, mdm_image_fit fit, mdm_image *out);
/* convert to channels, then resize to w x h: what the model's encoder takes. */
mdm_status mdm_image_prepare(const mdm_image *src, int w, int h, int channels, mdm_image_fit fit,
                             mdm_image *out);

/* mdm_image_bytes_to_floats, mdm_image_floats_to_bytes: src/pixels.h */
/* Planar (C, H, W) floats in [-1, 1]; n must be w*h*channels. */
mdm_status mdm_image_to_planar(const mdm_image *img, float *dst, size_t n);
mdm_status mdm_image_from_planar(const float *src, int w, int h, int channels, mdm_image *out);

#endif
