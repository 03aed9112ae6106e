/* Error messages: the status text, then what exactly was wrong. */
#include "model/errmsg.h"
#include <stdarg.h>
#include "fmt.h"

mdm_status mdm_err(char *err, size_t len, mdm_status status, const char *fmt, ...) {
    if (!err || len == 0)
        return status;
    int k = mdm_fmt(err, len, "%s: ", mdm_strerror(status));
    if (k < 0 || (size_t)k >= len)
        return status;
    va_list ap;
    va_start(ap, fmt);
    mdm_vfmt(err + k, len - (size_t)k, fmt, ap);
    va_end(ap);
    return status;
}

void mdm_err_name(char *dst, size_t dst_len, const char *src, size_t n) {
    if (dst_len == 0)
        return;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < dst_len; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?'; /* file bytes may be anything */
    }
    dst[j] = '\0';
}
