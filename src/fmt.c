/* mdm_fmt: the subset of snprintf that the library's messages use. */
#include "fmt.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, n; /* capacity; characters produced so far */
} out;

static void put(out *o, char ch) {
    if (o->n + 1 < o->len)
        o->buf[o->n] = ch;
    o->n++;
}

static void pad(out *o, char ch, int count) {
    for (; count > 0; count--)
        put(o, ch);
}

/* s (n bytes) in a field of `width`; zero padding goes after a sign. */
static void field(out *o, const char *s, size_t n, int width, int left, int zero) {
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && zero && n && (s[0] == '-')) {
        put(o, '-');
        s++, n--;
    }
    if (!left)
        pad(o, zero ? '0' : ' ', fill);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        pad(o, ' ', fill);
}

/* Digits of v in base 10 or 16 into the end of tmp; returns the start. */
static char *digits(char *end, uintmax_t v, int base, int upper) {
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = d[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    return p;
}

/* %g with 6 significant digits, trailing zeros dropped (as printf's). */
static size_t fmt_g(char *tmp, size_t cap, double v) {
    char *p = tmp;
    if (isnan(v))
        return (size_t)(memcpy(tmp, "nan", 3), 3);
    if (v < 0 || (v == 0 && signbit(v)))
        *p++ = '-', v = -v;
    if (isinf(v)) {
        memcpy(p, "inf", 3);
        return (size_t)(p - tmp) + 3;
    }
    int e = v == 0 ? 0 : (int)floor(log10(v));
    /* 6 significant digits: v scaled by an exact power of ten (one rounding) */
    double p10 = 1.0;
    for (int k = e > 5 ? e - 5 : 5 - e; k > 0 && p10 < 1e300; k--)
        p10 *= 10.0;
    double scaled = e > 5 ? v / p10 : v * p10;
    uintmax_t sig = (uintmax_t)nearbyint(scaled);
    if (sig >= 1000000)
        sig /= 10, e++;
    else if (sig < 100000 && sig) /* log10 rounded up */
        sig *= 10, e--;
    char dig[8];
    char *dend = dig + sizeof dig, *ds = digits(dend, sig, 10, 0);
    while (dend - ds < 6)
        *--ds = '0';
    int nd = 6;
    while (nd > 1 && ds[nd - 1] == '0')
        nd--;
    if (e < -4 || e >= 6) { /* d.ddde+XX */
        *p++ = ds[0];
        if (nd > 1) {
            *p++ = '.';
            for (int i = 1; i < nd; i++)
                *p++ = ds[i];
        }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        char eb[8], *es = digits(eb + sizeof eb, (uintmax_t)(e < 0 ? -e : e), 10, 0);
        if (eb + sizeof eb - es < 2)
            *p++ = '0';
        while (es < eb + sizeof eb)
            *p++ = *es++;
    } else if (e < 0) { /* 0.000ddd */
        *p++ = '0', *p++ = '.';
        for (int i = -1; i > e; i--)
            *p++ = '0';
        for (int i = 0; i < nd; i++)
            *p++ = ds[i];
    } else { /* ddd.ddd */
        for (int i = 0; i <= e; i++)
            *p++ = ds[i];
        if (nd > e + 1) {
            *p++ = '.';
            for (int i = e + 1; i < nd; i++)
                *p++ = ds[i];
        }
    }
    (void)cap;
    return (size_t)(p - tmp);
}

int mdm_vfmt(char *buf, size_t len, const char *fmt, va_list ap) {
    out o = {buf, len, 0};
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0; /* lng: 1 l, 2 ll, 3 z/j/t */
        for (f++; *f == '-' || *f == '0'; f++)
            *f == '-' ? (left = 1) : (zero = 1);
        for (; *f >= '0' && *f <= '9'; f++)
            width = width * 10 + (*f - '0');
        if (*f == '.') {
            prec = 0;
            if (*++f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                for (; *f >= '0' && *f <= '9'; f++)
                    prec = prec * 10 + (*f - '0');
            }
        }
        for (; *f == 'h'; f++)
            ; /* promoted to int anyway */
        if (*f == 'l')
            lng = *++f == 'l' ? (f++, 2) : 1;
        else if (*f == 'z' || *f == 'j' || *f == 't')
            lng = 3, f++;
        char tmp[48], *end = tmp + sizeof tmp, *s;
        switch (*f) {
        case 'd': case 'i': {
            intmax_t v = lng == 2 ? va_arg(ap, long long)
                         : lng == 1 ? va_arg(ap, long)
                         : lng == 3 ? (intmax_t)va_arg(ap, ptrdiff_t) : va_arg(ap, int);
            uintmax_t u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            s = digits(end, u, 10, 0);
            if (v < 0)
                *--s = '-';
            field(&o, s, (size_t)(end - s), width, left, zero);
            break;
        }
        case 'u': case 'x': case 'X': {
            uintmax_t v = lng == 2 ? va_arg(ap, unsigned long long)
                          : lng == 1 ? va_arg(ap, unsigned long)
                          : lng == 3 ? (uintmax_t)va_arg(ap, size_t) : va_arg(ap, unsigned);
            s = digits(end, v, *f == 'u' ? 10 : 16, *f == 'X');
            field(&o, s, (size_t)(end - s), width, left, zero);
            break;
        }
        case 'p': {
            s = digits(end, (uintmax_t)(uintptr_t)va_arg(ap, void *), 16, 0);
            *--s = 'x', *--s = '0';
            field(&o, s, (size_t)(end - s), width, left, 0);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            field(&o, tmp, 1, width, left, 0);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            size_t n = 0;
            while (str[n] && (prec < 0 || n < (size_t)prec))
                n++;
            field(&o, str, n, width, left, 0);
            break;
        }
        case 'g': {
            size_t n = fmt_g(tmp, sizeof tmp, va_arg(ap, double));
            field(&o, tmp, n, width, left, zero);
            break;
        }
        case '%': put(&o, '%'); break;
        default: /* unknown conversion: print it as written, stop reading arguments */
            put(&o, '%');
            if (!*f)
                f--;
            else
                put(&o, *f);
            break;
        }
    }
    if (len)
        buf[o.n < len ? o.n : len - 1] = '\0';
    return o.n > INT32_MAX ? INT32_MAX : (int)o.n;
}

int mdm_fmt(char *buf, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = mdm_vfmt(buf, len, fmt, ap);
    va_end(ap);
    return n;
}
