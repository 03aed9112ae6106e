/* Elementwise vector bodies on k vectors in lockstep (k a constant where
 * inlined): each step for all k before the next, so independent work sits
 * side by side in program order.  A softplus or SiLU is a chain of some 25
 * dependent ops (~80 cycles); one vector at a time kept too few in flight
 * for the out-of-order window (softplus took 14 cycles a vector for 8.5 of
 * issue on AVX-512).  An element's bits do not depend on k. */
#ifndef MDM_KERNELS_X86_LOCKSTEP_H
#define MDM_KERNELS_X86_LOCKSTEP_H
#define MDM_LOCKSTEP_MAX 8
#define MDM_EACH(v, k) _Pragma("GCC unroll 8") for (int v = 0; v < (k); v++)
#endif
