/* The helium kernel set's parts (Cortex-M55/M85: MVE with floating point). */
#ifndef MDM_KERNELS_ARM_HELIUM_H
#define MDM_KERNELS_ARM_HELIUM_H
#include "kernels/dispatch.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
void mdm_silu_helium(float *x, size_t n);
void mdm_softplus_helium(float *x, size_t n);
void mdm_scan_helium(float *y, const float *x, const float *delta, const float *A,
                     const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                     int N, float *h, int c0, int c1);
#endif
#endif
