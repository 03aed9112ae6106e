/* Selective scan on AVX-512: 16 channels per vector, the state of those 16
 * channels for every n in a small array (L1), A transposed to [n][16] once
 * per channel block, and a vector exp (x86.h).  Sequential over t, as the
 * recurrence requires; channels [c0, c1) only (dispatch.h).  Long
 * sequences run in chunks of tokens, every channel block through a chunk
 * before the next, the states kept in h between chunks: the chunk's rows
 * of x, delta and y (4 KB apart at d_inner 1024) stay in cache and in the
 * TLB instead of being walked once per channel block. */
#include "kernels/x86/x86.h"
#include <string.h>

#if defined(__x86_64__)
#define MAX_N 64
#define T_CHUNK 128 /* tokens per chunk of a long sequence */

/* Tokens [t0, t1) of channels c..c+15 (mask m) from the states hs
 * ([n][16], zero for t0 = 0), which it updates. */
MDM_AVX512 static void block16(float *y, const float *x, const float *delta, const float *A,
                               const float *B, const float *C, int ld_bc, const float *D, int t0,
                               int t1, int di, int N, int c, __mmask16 m, float *hs) {
    float at[MAX_N * 16] __attribute__((aligned(64)));
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 16; j++)
            at[n * 16 + j] = (m >> j) & 1 ? A[(size_t)(c + j) * N + n] : 0.0f;
    if (t0 == 0)
        memset(hs, 0, (size_t)N * 16 * sizeof(float));
    const __m512 dv = _mm512_maskz_loadu_ps(m, D + c);
    for (int t = t0; t < t1; t++) {
        const size_t o = (size_t)t * di + c;
        const __m512 dt = _mm512_maskz_loadu_ps(m, delta + o);
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + o);
        const __m512 dtx = _mm512_mul_ps(dt, xv);
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int n = 0;
        for (; n + 2 <= N; n += 2) {
            __m512 e0 = mdm_exp512(_mm512_mul_ps(dt, _mm512_load_ps(at + n * 16)));
            __m512 e1 = mdm_exp512(_mm512_mul_ps(dt, _mm512_load_ps(at + n * 16 + 16)));
            __m512 h0 = _mm512_fmadd_ps(e0, _mm512_loadu_ps(hs + n * 16),
                                        _mm512_mul_ps(dtx, _mm512_set1_ps(Bt[n])));
            __m512 h1 = _mm512_fmadd_ps(e1, _mm512_loadu_ps(hs + n * 16 + 16),
                                        _mm512_mul_ps(dtx, _mm512_set1_ps(Bt[n + 1])));
            _mm512_storeu_ps(hs + n * 16, h0);
            _mm512_storeu_ps(hs + n * 16 + 16, h1);
            acc0 = _mm512_fmadd_ps(h0, _mm512_set1_ps(Ct[n]), acc0);
            acc1 = _mm512_fmadd_ps(h1, _mm512_set1_ps(Ct[n + 1]), acc1);
        }
        for (; n < N; n++) {
            __m512 e0 = mdm_exp512(_mm512_mul_ps(dt, _mm512_load_ps(at + n * 16)));
            __m512 h0 = _mm512_fmadd_ps(e0, _mm512_loadu_ps(hs + n * 16),
                                        _mm512_mul_ps(dtx, _mm512_set1_ps(Bt[n])));
            _mm512_storeu_ps(hs + n * 16, h0);
            acc0 = _mm512_fmadd_ps(h0, _mm512_set1_ps(Ct[n]), acc0);
        }
        const __m512 yv = _mm512_fmadd_ps(xv, dv, _mm512_add_ps(acc0, acc1));
        _mm512_mask_storeu_ps(y + o, m, yv);
    }
}

void mdm_scan_avx512(float *y, const float *x, const float *delta, const float *A, const float *B,
                     const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                     int c0, int c1) {
    if (N > MAX_N) {
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c0, c1);
        return;
    }
    if ((c1 - c0) % 16 == 0 && T > T_CHUNK) {
        /* chunks of tokens; group c keeps its states in h + c N (its own 16 N floats) */
        for (int t0 = 0; t0 < T; t0 += T_CHUNK)
            for (int c = c0; c < c1; c += 16)
                block16(y, x, delta, A, B, C, ld_bc, D, t0, t0 + T_CHUNK < T ? t0 + T_CHUNK : T,
                        di, N, c, 0xffff, h + (size_t)c * N);
        return;
    }
    float hs[MAX_N * 16] __attribute__((aligned(64)));
    for (int c = c0; c < c1; c += 16) {
        const int nc = c1 - c < 16 ? c1 - c : 16;
        block16(y, x, delta, A, B, C, ld_bc, D, 0, T, di, N, c,
                (__mmask16)(nc == 16 ? 0xffff : (1u << nc) - 1), hs);
    }
}
#endif
