/* The one error measure of the tests: the relative error of a result a
 * against a reference b, max |a - b| / max(REL_ERR_FLOOR, max |b|).
 * Relative to the tensor's largest value, not per element, so that values
 * near zero do not dominate; the floor keeps an all-zero reference from
 * dividing by zero (the error is then absolute, scaled by 1e6).  A NaN in a
 * gives NaN, which fails every "<= tol" check. */
#ifndef MDM_TESTS_REL_ERR_H
#define MDM_TESTS_REL_ERR_H
#include <math.h>
#include <stddef.h>

#define REL_ERR_FLOOR 1e-6

/* noinline: GCC 12 for AArch64 crashes (ICE in vect_transform_reduction)
 * vectorising these loops inlined with a constant n. */
__attribute__((noinline)) static double rel_err_d(const float *a, const double *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        num = d > num || d != d ? d : num;
        den = fabs(b[i]) > den ? fabs(b[i]) : den;
    }
    return num / (den > REL_ERR_FLOOR ? den : REL_ERR_FLOOR);
}

__attribute__((noinline)) static double rel_err(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        num = d > num || d != d ? d : num;
        den = fabs((double)b[i]) > den ? fabs((double)b[i]) : den;
    }
    return num / (den > REL_ERR_FLOOR ? den : REL_ERR_FLOOR);
}
#endif
