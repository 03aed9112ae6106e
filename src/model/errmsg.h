/* Error messages into a caller buffer (never printed here). */
#ifndef MDM_MODEL_ERRMSG_H
#define MDM_MODEL_ERRMSG_H
#include "mdm_rt.h"
#include <stddef.h>

#if defined(__GNUC__)
#define MDM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MDM_PRINTF(a, b)
#endif

/* Writes "<status message>: <formatted detail>" into err (may be NULL) and
 * returns status, so that callers can `return mdm_err(...)`. */
mdm_status mdm_err(char *err, size_t len, mdm_status status, const char *fmt, ...)
    MDM_PRINTF(4, 5);

/* Copies up to n bytes of an untrusted name into a printable buffer. */
void mdm_err_name(char *dst, size_t dst_len, const char *src, size_t n);
#endif
