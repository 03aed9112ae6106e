/* The AVX2 scan (8 channels per vector, states in a small array, A
 * transposed per group) and SiLU; ragged channels and elements take the
 * reference code: the scalar tails. */
#include "kernels/x86/avx2.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#define MAX_N 64

MDM_AVX2 static void group8(float *y, const float *x, const float *delta, const float *A,
                            const float *B, const float *C, int ld_bc, const float *D, int T,
                            int di, int N, int c) {
    float at[MAX_N * 8] __attribute__((aligned(32))), hs[MAX_N * 8] __attribute__((aligned(32)));
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 8; j++)
            at[n * 8 + j] = A[(size_t)(c + j) * N + n];
    memset(hs, 0, (size_t)N * 8 * sizeof(float));
    const __m256 dv = _mm256_loadu_ps(D + c);
    for (int t = 0; t < T; t++) {
        const size_t o = (size_t)t * di + c;
        const __m256 dt = _mm256_loadu_ps(delta + o), xv = _mm256_loadu_ps(x + o);
        const __m256 dtx = _mm256_mul_ps(dt, xv);
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        __m256 acc = _mm256_setzero_ps();
        for (int n = 0; n < N; n++) {
            __m256 e = mdm_exp256(_mm256_mul_ps(dt, _mm256_load_ps(at + n * 8)));
            __m256 hn = _mm256_fmadd_ps(e, _mm256_load_ps(hs + n * 8),
                                        _mm256_mul_ps(dtx, _mm256_set1_ps(Bt[n])));
            _mm256_store_ps(hs + n * 8, hn);
            acc = _mm256_fmadd_ps(hn, _mm256_set1_ps(Ct[n]), acc);
        }
        _mm256_storeu_ps(y + o, _mm256_fmadd_ps(xv, dv, acc));
    }
}

void mdm_scan_avx2(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                   int c0, int c1) {
    int c = c0;
    if (N <= MAX_N)
        for (; c + 8 <= c1; c += 8)
            group8(y, x, delta, A, B, C, ld_bc, D, T, di, N, c);
    if (c < c1)
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c, c1);
}

MDM_AVX2 void mdm_silu_avx2(float *x, size_t n) {
    size_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = mdm_exp256(_mm256_sub_ps(_mm256_setzero_ps(), v));
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
    for (; i < n; i++)
        x[i] = x[i] / (1.0f + expf(-x[i]));
}
#endif
