/* The library's side of the growing parameter structs (mdm_rt.h,
 * "parameter structs that grow"): defaults written for a caller's size,
 * and a caller's struct of any size read over the library's defaults. */
#ifndef MDM_PARAMS_H
#define MDM_PARAMS_H
#include "mdm_rt.h"
#include <string.h>

/* Writes the first n bytes of the defaults def (full bytes; fields past
 * full are zero) into p and sets its struct_size to n. */
static inline void mdm_params_fill(void *p, size_t n, const void *def, size_t full) {
    if (!p || n < sizeof(size_t))
        return;
    memcpy(p, def, n < full ? n : full);
    if (n > full)
        memset((unsigned char *)p + full, 0, n - full);
    memcpy(p, &n, sizeof n);
}

/* dst (full bytes) holds the defaults; takes the fields of the caller's
 * src that lie within its struct_size.  MDM_ERR_INVALID_ARG for a
 * struct_size that cannot be (0: the init was skipped), MDM_ERR_UNSUPPORTED
 * for non-zero fields this library does not know. */
static inline mdm_status mdm_params_take(void *dst, size_t full, const void *src) {
    size_t n;
    memcpy(&n, src, sizeof n);
    if (n < sizeof n || n > ((size_t)1 << 20))
        return MDM_ERR_INVALID_ARG;
    const unsigned char *s = src;
    for (size_t i = full; i < n; i++)
        if (s[i])
            return MDM_ERR_UNSUPPORTED;
    if (n > full)
        n = full;
    memcpy((unsigned char *)dst + sizeof n, s + sizeof n, n - sizeof n);
    memcpy(dst, &full, sizeof full);
    return MDM_OK;
}
#endif
