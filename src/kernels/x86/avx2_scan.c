/* The AVX2 scan (8 channels per vector, states in a small array, A
 * transposed per group) and SiLU; ragged channels and elements take the
 * reference code: the scalar tails. */
#include "kernels/x86/avx2.h"
#include <string.h>

#if defined(__x86_64__)
#define MAX_N 64
#define T_CHUNK 128 /* tokens per chunk of a long sequence (as scan.c) */

/* 2^x for x <= 0 (below 2^-125: 2^-125). */
MDM_AVX2_INLINE __m256 exp2_neg(__m256 x) {
    return mdm_exp2_256(_mm256_max_ps(x, _mm256_set1_ps(-125.0f)));
}

/* Tokens [t0, t1) of channels c..c+7 from the states hs ([n][8], zeroed at
 * t0 = 0), which it updates.  Two sums over n, as scan.c, so that the
 * additions into y do not wait on each other. */
MDM_AVX2 static void group8(float *y, const float *x, const float *delta, const float *A,
                            const float *B, const float *C, int ld_bc, const float *D, int t0,
                            int t1, int di, int N, int c, float *hs) {
    /* A log2(e), [n][8]: e^(delta A) = 2^(delta A log2 e), where delta >= 0
     * and A = -exp(A_log) <= 0, so only the low end needs a clamp */
    float at[MAX_N * 8] __attribute__((aligned(32)));
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 8; j++)
            at[n * 8 + j] = A[(size_t)(c + j) * N + n] * 1.44269504f;
    if (t0 == 0)
        memset(hs, 0, (size_t)N * 8 * sizeof(float));
    const __m256 dv = _mm256_loadu_ps(D + c);
    for (int t = t0; t < t1; t++) {
        const size_t o = (size_t)t * di + c;
        const __m256 dt = _mm256_loadu_ps(delta + o), xv = _mm256_loadu_ps(x + o);
        const __m256 dtx = _mm256_mul_ps(dt, xv);
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        int n = 0;
        for (; n + 2 <= N; n += 2) { /* two states at a time, two sums in registers */
            __m256 e[2]; /* both exps in lockstep (lockstep.h) */
            MDM_EACH(j, 2) e[j] = _mm256_max_ps(_mm256_mul_ps(dt, _mm256_load_ps(at + n * 8 + 8 * j)),
                                                _mm256_set1_ps(-125.0f));
            mdm_exp2_256_k(e, 2);
            const __m256 e0 = e[0], e1 = e[1];
            const __m256 h0 = _mm256_fmadd_ps(e0, _mm256_loadu_ps(hs + n * 8),
                                              _mm256_mul_ps(dtx, _mm256_set1_ps(Bt[n])));
            const __m256 h1 = _mm256_fmadd_ps(e1, _mm256_loadu_ps(hs + n * 8 + 8),
                                              _mm256_mul_ps(dtx, _mm256_set1_ps(Bt[n + 1])));
            _mm256_storeu_ps(hs + n * 8, h0);
            _mm256_storeu_ps(hs + n * 8 + 8, h1);
            acc0 = _mm256_fmadd_ps(h0, _mm256_set1_ps(Ct[n]), acc0);
            acc1 = _mm256_fmadd_ps(h1, _mm256_set1_ps(Ct[n + 1]), acc1);
        }
        for (; n < N; n++) {
            const __m256 e0 = exp2_neg(_mm256_mul_ps(dt, _mm256_load_ps(at + n * 8)));
            const __m256 h0 = _mm256_fmadd_ps(e0, _mm256_loadu_ps(hs + n * 8),
                                              _mm256_mul_ps(dtx, _mm256_set1_ps(Bt[n])));
            _mm256_storeu_ps(hs + n * 8, h0);
            acc0 = _mm256_fmadd_ps(h0, _mm256_set1_ps(Ct[n]), acc0);
        }
        _mm256_storeu_ps(y + o, _mm256_fmadd_ps(xv, dv, _mm256_add_ps(acc0, acc1)));
    }
}

void mdm_scan_avx2(float *y, const float *x, const float *delta, const float *A, const float *B,
                   const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                   int c0, int c1) {
    const int c8 = N <= MAX_N ? c0 + (c1 - c0) / 8 * 8 : c0; /* vector groups end here */
    if (T > T_CHUNK) {
        /* chunks of tokens, every group through a chunk before the next (scan.c);
         * group c keeps its states in h + c N (its own 8 N floats) */
        for (int t0 = 0; t0 < T; t0 += T_CHUNK)
            for (int c = c0; c < c8; c += 8)
                group8(y, x, delta, A, B, C, ld_bc, D, t0, t0 + T_CHUNK < T ? t0 + T_CHUNK : T,
                       di, N, c, h + (size_t)c * N);
    } else {
        float hs[MAX_N * 8] __attribute__((aligned(32)));
        for (int c = c0; c < c8; c += 8)
            group8(y, x, delta, A, B, C, ld_bc, D, 0, T, di, N, c, hs);
    }
    if (c8 < c1)
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c8, c1);
}

/* The ragged end runs through the same vector code on a padded copy, so an
 * element's result does not depend on where a share starts. */
MDM_AVX2 void mdm_silu_avx2(float *x, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) { /* four vectors in lockstep (lockstep.h) */
        __m256 v[4];
        MDM_EACH(j, 4) v[j] = _mm256_loadu_ps(x + i + 8 * j);
        mdm_silu256_k(v, 4);
        MDM_EACH(j, 4) _mm256_storeu_ps(x + i + 8 * j, v[j]);
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, mdm_silu256(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float pad[8] = {0};
        memcpy(pad, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(pad, mdm_silu256(_mm256_loadu_ps(pad)));
        memcpy(x + i, pad, (n - i) * sizeof(float));
    }
}
/* y[i] *= SiLU(z[i]) (the gate before out_proj): the bits of mdm_silu_avx2
 * on z followed by a multiply, in one pass that leaves z as it is. */
MDM_AVX2 void mdm_silu_mul_avx2(float *y, const float *z, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 g[4];
        MDM_EACH(j, 4) g[j] = _mm256_loadu_ps(z + i + 8 * j);
        mdm_silu256_k(g, 4);
        MDM_EACH(j, 4) _mm256_storeu_ps(y + i + 8 * j,
                                        _mm256_mul_ps(_mm256_loadu_ps(y + i + 8 * j), g[j]));
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 g = mdm_silu256(_mm256_loadu_ps(z + i));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), g));
    }
    if (i < n) {
        float py[8] = {0}, pz[8] = {0};
        memcpy(py, y + i, (n - i) * sizeof(float));
        memcpy(pz, z + i, (n - i) * sizeof(float));
        const __m256 g = mdm_silu256(_mm256_loadu_ps(pz));
        _mm256_storeu_ps(py, _mm256_mul_ps(_mm256_loadu_ps(py), g));
        memcpy(y + i, py, (n - i) * sizeof(float));
    }
}
#endif
