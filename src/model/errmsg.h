/* Error messages into a caller buffer (never printed here). */
#ifndef MDM_MODEL_ERRMSG_H
#define MDM_MODEL_ERRMSG_H
#include "mdm_rt.h"
#include <inttypes.h> /* PRIu32 etc.: uint32_t is long on newlib */
#include <stddef.h>
#include "fmt.h"
#define MDM_PRINTF(a, b) MDM_FMT_CHECK(a, b)

/* Writes "<status message>: <formatted detail>" into err (may be NULL) and
 * returns status, so that callers can `return mdm_err(...)`. */
mdm_status mdm_err(char *err, size_t len, mdm_status status, const char *fmt, ...)
    MDM_PRINTF(4, 5);

/* Copies up to n bytes of an untrusted name into a printable buffer. */
void mdm_err_name(char *dst, size_t dst_len, const char *src, size_t n);
#endif
