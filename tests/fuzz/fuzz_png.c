/* libFuzzer target for the image decoders (PNG and PNM, chosen by magic).
 * Each input is decoded as given and again with its chunk CRCs and adler32
 * repaired (png_check.h), so mutations get past the checksums; any decoded
 * image must re-encode and decode to the same pixels.  Also runs the raw
 * inflater on the bytes.  Build: tests/suites/fuzz_png.sh. */
#include "png_check.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const mdm_image_limits lim = {2048, 32u << 20};
    if (!image_check(data, size, &lim))
        abort();
    uint8_t *fixed = malloc(size ? size : 1);
    if (fixed) {
        size_t m = png_repair(data, size, fixed);
        if (m && !image_check(fixed, m, &lim))
            abort();
        free(fixed);
    }
    uint8_t out[1 << 16];
    size_t len = 0, used = 0;
    mdm_status st = mdm_image_inflate(data, size, out, sizeof out, &len, &used);
    if (len > sizeof out || (st == MDM_OK && used > size))
        abort();
    return 0;
}
