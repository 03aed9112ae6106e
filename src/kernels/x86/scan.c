/* Selective scan on AVX-512: 16 channels per vector, sequential over t as
 * the recurrence requires; channels [c0, c1) only (dispatch.h).
 *
 * Per state update h = e^(dt A) h + dt B x, the exponent dt A is never
 * positive (dt = softplus >= 0, A = -exp(A_log) < 0), so e^(dt A) is
 * computed as 2^(dt A') with A' = A log2(e) scaled once per channel block:
 * no clamp, no Cody-Waite split, just f = x - floor(x) (exact), a
 * degree-5 polynomial for 2^f and a scalef.  For the common d_state 16 the
 * 16 state vectors stay in registers through the whole token loop.
 *
 * Long sequences run in chunks of tokens, every channel block through a
 * chunk before the next, the states kept in h between chunks: the chunk's
 * rows of x, delta and y (4 KB apart at d_inner 1024) stay in cache and in
 * the TLB instead of being walked once per channel block. */
#include "kernels/x86/x86.h"
#include <string.h>

#if defined(__x86_64__)
#define MAX_N 64
#define T_CHUNK 128 /* tokens per chunk of a long sequence */
_Static_assert(MDM_SCAN_DT_MAX_N <= MAX_N, "scan_dt's states must fit the register path");
#define NOINLINE __attribute__((noinline))

/* 2^x for k vectors of 16 lanes in lockstep (lockstep.h): x = n + f,
 * n = floor(x), f in [0, 1) from one vreduceps (exact), 2^f by a polynomial
 * fitted for relative error (1.7e-7 in float) with 2^0 = 1 and 2^1 = 2
 * exact, so states that decay slowly (x just below 0: f near 1, n = -1) are
 * not biased, times 2^n by a scalef of x itself (it takes floor(x); gradual
 * underflow, 0 for very negative x).  reduce and scalef issue beside the
 * FMAs on the CPUs measured (mdm-bench-pipes); the reduce is one op and one
 * step of latency less than a round and a subtract. */
MDM_AVX512_INLINE void exp2_16_k(__m512 *x, const int k) {
    static const float c[6] = {0.00187936041f, 0.00899103377f, 0.055818487f,
                               0.240159407f,   0.693151712f,   1.0f};
    __m512 f[4], p[4];
    MDM_EACH(j, k) f[j] = _mm512_reduce_ps(x[j], _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    MDM_EACH(j, k) p[j] = _mm512_set1_ps(c[0]);
#pragma GCC unroll 5
    for (int i = 1; i < 6; i++)
        MDM_EACH(j, k) p[j] = _mm512_fmadd_ps(p[j], f[j], _mm512_set1_ps(c[i]));
    MDM_EACH(j, k) x[j] = _mm512_scalef_ps(p[j], x[j]);
}

/* Tokens [t0, t1) of channels c..c+15 (mask m) for N states (a constant
 * where inlined with one, so h lives in registers), from the states hs
 * ([n][16]), which it updates.  at: A' = A log2(e), [n][16]; token t's
 * delta for these channels at drow + (t - t0) ld_d. */
MDM_AVX512_INLINE void scan_tokens(float *y, const float *x, const float *drow, size_t ld_d,
                                   const float *at, const float *B, const float *C, int ld_bc,
                                   const float *D, int t0, int t1, int di, const int N, int c,
                                   __mmask16 m, float *hs) {
    __m512 h[MAX_N];
#pragma GCC unroll 16
    for (int n = 0; n < N; n++)
        h[n] = _mm512_load_ps(hs + n * 16);
    const __m512 dv = _mm512_maskz_loadu_ps(m, D + c);
    for (int t = t0; t < t1; t++) {
        const size_t o = (size_t)t * di + c;
        const float *dl = drow + (size_t)(t - t0) * ld_d;
        const __m512 dt = _mm512_maskz_loadu_ps(m, dl);
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + o);
        const __m512 dtx = _mm512_mul_ps(dt, xv);
        /* the next channel block's lines of this row, wanted a chunk later:
         * rows 4 KB apart defeat the hardware prefetchers */
        _mm_prefetch((const char *)(dl + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(x + o + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(y + o + 16), _MM_HINT_T0); /* often x itself */
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                         _mm512_setzero_ps()};
        /* four states in lockstep (lockstep.h), then one at a time */
        int n = 0;
#pragma GCC unroll 4
        for (; n + 4 <= N; n += 4) {
            __m512 e[4];
            MDM_EACH(j, 4) e[j] = _mm512_mul_ps(dt, _mm512_load_ps(at + (n + j) * 16));
            exp2_16_k(e, 4);
            MDM_EACH(j, 4) h[n + j] = _mm512_fmadd_ps(e[j], h[n + j],
                                                      _mm512_mul_ps(dtx, _mm512_set1_ps(Bt[n + j])));
            MDM_EACH(j, 4) acc[j] = _mm512_fmadd_ps(h[n + j], _mm512_set1_ps(Ct[n + j]), acc[j]);
        }
        for (; n < N; n++) {
            __m512 e = _mm512_mul_ps(dt, _mm512_load_ps(at + n * 16));
            exp2_16_k(&e, 1);
            h[n] = _mm512_fmadd_ps(e, h[n], _mm512_mul_ps(dtx, _mm512_set1_ps(Bt[n])));
            acc[n & 3] = _mm512_fmadd_ps(h[n], _mm512_set1_ps(Ct[n]), acc[n & 3]);
        }
        const __m512 s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                                       _mm512_add_ps(acc[2], acc[3]));
        _mm512_mask_storeu_ps(y + o, m, _mm512_fmadd_ps(xv, dv, s));
    }
#pragma GCC unroll 16
    for (int n = 0; n < N; n++)
        _mm512_store_ps(hs + n * 16, h[n]);
}

/* One copy for d_state 16 (h in registers) and one for any N. */
MDM_AVX512 NOINLINE static void tokens_n16(float *y, const float *x, const float *drow,
                                           size_t ld_d, const float *at, const float *B,
                                           const float *C, int ld_bc, const float *D, int t0,
                                           int t1, int di, int c, __mmask16 m, float *hs) {
    scan_tokens(y, x, drow, ld_d, at, B, C, ld_bc, D, t0, t1, di, 16, c, m, hs);
}

MDM_AVX512 NOINLINE static void tokens_any(float *y, const float *x, const float *drow,
                                           size_t ld_d, const float *at, const float *B,
                                           const float *C, int ld_bc, const float *D, int t0,
                                           int t1, int di, int N, int c, __mmask16 m,
                                           float *hs) {
    scan_tokens(y, x, drow, ld_d, at, B, C, ld_bc, D, t0, t1, di, N, c, m, hs);
}

/* dt_proj and its softplus, for the fused scan: dt [T][R], W [di][R] F32. */
typedef struct {
    const float *dt, *W, *bias;
    int R;
} dt_proj_in;

/* d[t - t0][0..15] = softplus(dt[t] . W[c + j] + bias[c + j]) for tokens
 * t .. t + k - 1 (k in lockstep, lockstep.h), from wt = W's rows c..
 * transposed ([R][16]): each lane one FMA chain over k in order from 0,
 * then the bias, then softplus, as gemm.c's tile computes every element of
 * matmul_softplus, so the bits are those of matmul_softplus followed by the
 * scan. */
MDM_AVX512_INLINE void delta_tokens(float *d, const float *dt, int R, const float *wt,
                                    __m512 bias, int has_bias, int t, int t0, const int k) {
    __m512 acc[MDM_LOCKSTEP_MAX];
    MDM_EACH(q, k) acc[q] = _mm512_setzero_ps();
    for (int r = 0; r < R; r++) {
        const __m512 w = _mm512_load_ps(wt + (size_t)r * 16);
        MDM_EACH(q, k) acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(dt[(size_t)(t + q) * R + r]), w,
                                                acc[q]);
    }
    if (has_bias)
        MDM_EACH(q, k) acc[q] = _mm512_add_ps(acc[q], bias);
    mdm_softplus512_k(acc, k);
    MDM_EACH(q, k) _mm512_store_ps(d + (size_t)(t + q - t0) * 16, acc[q]);
}

/* Tokens [t0, t1) of delta_tokens, eight at a time. */
MDM_AVX512 static void delta_block(float *d, const float *dt, int R, const float *wt, __m512 bias,
                                   int has_bias, int t0, int t1) {
    int t = t0;
    for (; t + 8 <= t1; t += 8)
        delta_tokens(d, dt, R, wt, bias, has_bias, t, t0, 8);
    for (; t < t1; t++)
        delta_tokens(d, dt, R, wt, bias, has_bias, t, t0, 1);
}

/* wt[k][j] = W[c + j][k], rows past the mask zero: 16 x 16 register
 * transposes. */
MDM_AVX512 static void transpose_rows(float *wt, const float *W, int R, int c, __mmask16 m) {
    for (int k0 = 0; k0 < R; k0 += 16) {
        const int kn = R - k0 < 16 ? R - k0 : 16;
        const __mmask16 km = (__mmask16)(kn == 16 ? 0xffff : (1u << kn) - 1);
        __m512 r[16];
        for (int j = 0; j < 16; j++)
            r[j] = (m >> j) & 1 ? _mm512_maskz_loadu_ps(km, W + (size_t)(c + j) * R + k0)
                                : _mm512_setzero_ps();
        mdm_transpose16_ps(r);
        for (int k = 0; k < kn; k++)
            _mm512_store_ps(wt + (size_t)(k0 + k) * 16, r[k]);
    }
}

/* Tokens [t0, t1) of channels c..c+15 (mask m) from the states hs
 * ([n][16], 64-byte aligned; zeroed here for t0 = 0), which it updates.
 * Delta from the delta rows, or with dp computed here T_CHUNK tokens at a
 * time into an L1 block (the fused scan writes no delta to memory). */
MDM_AVX512 static void block16(float *y, const float *x, const float *delta, const dt_proj_in *dp,
                               const float *A, const float *B, const float *C, int ld_bc,
                               const float *D, int t0, int t1, int di, int N, int c, __mmask16 m,
                               float *hs) {
    float at[MAX_N * 16] __attribute__((aligned(64)));
    const float log2e = 1.44269504f;
    if (N == 16 && m == 0xffff) { /* A's 16 x 16 block, transposed in registers */
        __m512 r[16];
        for (int j = 0; j < 16; j++)
            r[j] = _mm512_loadu_ps(A + (size_t)(c + j) * 16);
        mdm_transpose16_ps(r);
        for (int n = 0; n < 16; n++)
            _mm512_store_ps(at + n * 16, _mm512_mul_ps(r[n], _mm512_set1_ps(log2e)));
    } else {
        for (int n = 0; n < N; n++)
            for (int j = 0; j < 16; j++)
                at[n * 16 + j] = (m >> j) & 1 ? A[(size_t)(c + j) * N + n] * log2e : 0.0f;
    }
    if (t0 == 0)
        memset(hs, 0, (size_t)N * 16 * sizeof(float));
    if (!dp) {
        const float *drow = delta + (size_t)t0 * di + c;
        if (N == 16)
            tokens_n16(y, x, drow, (size_t)di, at, B, C, ld_bc, D, t0, t1, di, c, m, hs);
        else
            tokens_any(y, x, drow, (size_t)di, at, B, C, ld_bc, D, t0, t1, di, N, c, m, hs);
        return;
    }
    float wt[MDM_SCAN_DT_MAX_R * 16] __attribute__((aligned(64)));
    float d[T_CHUNK * 16] __attribute__((aligned(64)));
    transpose_rows(wt, dp->W, dp->R, c, m);
    const __m512 bias = dp->bias ? _mm512_maskz_loadu_ps(m, dp->bias + c) : _mm512_setzero_ps();
    for (int ta = t0; ta < t1; ta += T_CHUNK) {
        const int tb = t1 - ta > T_CHUNK ? ta + T_CHUNK : t1;
        delta_block(d, dp->dt, dp->R, wt, bias, dp->bias != NULL, ta, tb);
        if (N == 16)
            tokens_n16(y, x, d, 16, at, B, C, ld_bc, D, ta, tb, di, c, m, hs);
        else
            tokens_any(y, x, d, 16, at, B, C, ld_bc, D, ta, tb, di, N, c, m, hs);
    }
}

/* Channels [c0, c1): with delta, or with dp (delta computed per block). */
static void scan_range(float *y, const float *x, const float *delta, const dt_proj_in *dp,
                       const float *A, const float *B, const float *C, int ld_bc, const float *D,
                       int T, int di, int N, float *h, int c0, int c1) {
    float hs[MAX_N * 16] __attribute__((aligned(64)));
    if ((c1 - c0) % 16 == 0 && T > T_CHUNK) {
        /* chunks of tokens; group c keeps its states in h + c N (its own
         * 16 N floats), copied through the aligned hs around each chunk */
        for (int t0 = 0; t0 < T; t0 += T_CHUNK)
            for (int c = c0; c < c1; c += 16) {
                float *hc = h + (size_t)c * N;
                if (t0 > 0)
                    memcpy(hs, hc, (size_t)N * 16 * sizeof(float));
                block16(y, x, delta, dp, A, B, C, ld_bc, D, t0,
                        t0 + T_CHUNK < T ? t0 + T_CHUNK : T, di, N, c, 0xffff, hs);
                memcpy(hc, hs, (size_t)N * 16 * sizeof(float));
            }
        return;
    }
    for (int c = c0; c < c1; c += 16) {
        const int nc = c1 - c < 16 ? c1 - c : 16;
        block16(y, x, delta, dp, A, B, C, ld_bc, D, 0, T, di, N, c,
                (__mmask16)(nc == 16 ? 0xffff : (1u << nc) - 1), hs);
    }
}

void mdm_scan_avx512(float *y, const float *x, const float *delta, const float *A, const float *B,
                     const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                     int c0, int c1) {
    if (N > MAX_N) {
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c0, c1);
        return;
    }
    scan_range(y, x, delta, NULL, A, B, C, ld_bc, D, T, di, N, h, c0, c1);
}

void mdm_scan_dt_avx512(float *y, const float *x, const float *dt, int R, const float *W,
                        const float *bias, const float *A, const float *B, const float *C,
                        int ld_bc, const float *D, int T, int di, int N, float *h, int c0,
                        int c1) {
    const dt_proj_in dp = {dt, W, bias, R};
    scan_range(y, x, NULL, &dp, A, B, C, ld_bc, D, T, di, N, h, c0, c1);
}
#endif
