/* DEFLATE (RFC 1951) and zlib (RFC 1950) for the image codecs.
 * Decoding writes at most cap bytes and never reads past src[n-1]; a
 * stream that would produce more fails with MDM_ERR_BUFFER_TOO_SMALL, a
 * malformed one with MDM_ERR_BAD_IMAGE.  Neither allocates. */
#ifndef MDM_IMAGE_ZLIB_H
#define MDM_IMAGE_ZLIB_H
#include <stddef.h>
#include <stdint.h>
#include "mdm_rt.h"

/* Raw deflate.  *out_len: bytes written; *in_used: bytes of src up to and
 * including the last byte of the final block (either may be NULL). */
mdm_status mdm_image_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                             size_t *out_len, size_t *in_used);
/* zlib wrapper: header check, deflate data, adler32 check.  Bytes after
 * the adler32 are ignored. */
mdm_status mdm_image_zlib_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                  size_t *out_len);

/* zlib stream of src: fixed-Huffman or stored blocks, whichever is smaller.
 * *out_len is always the full size; MDM_ERR_BUFFER_TOO_SMALL when it
 * exceeds cap (dst may then be NULL).  MDM_ERR_NO_MEMORY for the matcher's
 * tables (about 512 KiB, malloc'd for the call). */
mdm_status mdm_image_zlib_deflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                  size_t *out_len);
/* An upper bound of mdm_image_zlib_deflate's output for n bytes (0 on overflow). */
size_t mdm_image_zlib_bound(size_t n);

uint32_t mdm_image_adler32(uint32_t adler, const uint8_t *p, size_t n); /* start with 1 */

/* Length and distance symbols shared by the coder and the decoder. */
extern const uint16_t mdm_image_len_base[29];
extern const uint8_t mdm_image_len_extra[29];
extern const uint16_t mdm_image_dist_base[30];
extern const uint8_t mdm_image_dist_extra[30];

#endif
