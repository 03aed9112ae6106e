/* A small snprintf for the library's messages (error details, tensor names,
 * VAE block strings), so that a bare-metal build needs no stdio: flags '-'
 * and '0', a width, a precision for s, and the conversions d i u x X c s p %
 * with the length modifiers hh h l ll z j t.  %g prints 6 significant digits
 * as printf does, except that a value within an ulp of a rounding tie (e.g.
 * 99999.95) may round the other way: it is only used in messages.  Returns
 * the length the whole output would have, and always NUL-terminates when
 * len > 0, as snprintf does. */
#ifndef MDM_FMT_H
#define MDM_FMT_H
#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define MDM_FMT_CHECK(a, b) __attribute__((format(printf, a, b)))
#else
#define MDM_FMT_CHECK(a, b)
#endif

int mdm_vfmt(char *buf, size_t len, const char *fmt, va_list ap);
int mdm_fmt(char *buf, size_t len, const char *fmt, ...) MDM_FMT_CHECK(3, 4);

#endif
