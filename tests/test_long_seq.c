/* Long sequences: the scan and conv1d of every kernel set walk a long
 * sequence in chunks of tokens (src/kernels/x86/scan.c, norm.c), the
 * states carried from chunk to chunk; test_simd's shapes are shorter than
 * one chunk.  Each set against the scalar set (tolerance 2e-5 of the
 * largest value, as test_simd), and one call against the same call split
 * over channel ranges and token ranges as threads split it (same bits). */
#include "check.h"
#include "kernels/dispatch.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static float rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 40) / (double)(1ull << 23) - 1.0);
}

/* Largest |a - b| over the largest |b|.  Plain comparisons, not fmax: the
 * fmax reduction crashes aarch64-linux-gnu-gcc 12's vectoriser (an ICE). */
static double rel(const float *a, const float *b, size_t n) {
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]), m = fabs((double)b[i]);
        if (d > md)
            md = d;
        if (m > mb)
            mb = m;
    }
    return md / (mb > 1e-6 ? mb : 1e-6);
}

static void test_long_scan_and_conv1d(void) {
    enum { T = 700, DI = 64, N = 16, K = 4 };
    uint64_t s = 11;
    const size_t n = (size_t)T * DI;
    float *x = malloc(n * 4), *dl = malloc(n * 4), *A = malloc(DI * N * 4), *D = malloc(DI * 4);
    float *B = malloc((size_t)T * 2 * N * 4), *w = malloc(DI * K * 4), *bias = malloc(DI * 4);
    float *ref = malloc(n * 4), *y = malloc(n * 4), *y2 = malloc(n * 4), *h = malloc(DI * N * 4);
    for (size_t i = 0; i < n; i++)
        x[i] = rnd(&s), dl[i] = 0.05f * (rnd(&s) + 1.0f);
    for (int i = 0; i < DI * N; i++)
        A[i] = -expf(rnd(&s));
    for (int i = 0; i < T * 2 * N; i++)
        B[i] = rnd(&s);
    for (int i = 0; i < DI; i++)
        D[i] = rnd(&s), bias[i] = rnd(&s);
    for (int i = 0; i < DI * K; i++)
        w[i] = rnd(&s);
    const mdm_kernels *ks[8];
    const int n_sets = mdm_kernels_available(ks, 8);
    for (int k = 0; k < n_sets; k++) {
        const mdm_kernels *kn = ks[k];
        /* scan: whole, then split in two channel ranges (a multiple of 16) */
        mdm_selective_scan(ref, x, dl, A, B, B + N, 2 * N, D, T, DI, N, h);
        kn->scan(y, x, dl, A, B, B + N, 2 * N, D, T, DI, N, h, 0, DI);
        CHECKF(rel(y, ref, n) <= 2e-5, "%s scan T=%d: rel err %.3g", kn->name, T, rel(y, ref, n));
        kn->scan(y2, x, dl, A, B, B + N, 2 * N, D, T, DI, N, h, 0, 16);
        kn->scan(y2, x, dl, A, B, B + N, 2 * N, D, T, DI, N, h, 16, DI);
        CHECKF(memcmp(y, y2, n * 4) == 0, "%s scan: channel split changes bits", kn->name);
        /* conv1d: whole, then in token ranges that cut through chunks */
        mdm_conv1d_causal(ref, x, w, bias, T, DI, K);
        kn->conv1d(y, x, w, bias, T, DI, K, 0, T);
        CHECKF(rel(y, ref, n) <= 2e-5, "%s conv1d T=%d: rel err %.3g", kn->name, T,
               rel(y, ref, n));
        kn->conv1d(y2, x, w, bias, T, DI, K, 0, 100);
        kn->conv1d(y2, x, w, bias, T, DI, K, 100, 333);
        kn->conv1d(y2, x, w, bias, T, DI, K, 333, T);
        CHECKF(memcmp(y, y2, n * 4) == 0, "%s conv1d: token split changes bits", kn->name);
    }
    printf("  %d sets, T = %d\n", n_sets, T);
    free(x), free(dl), free(A), free(D), free(B), free(w), free(bias), free(ref), free(y);
    free(y2), free(h);
}

int main(void) {
    RUN(test_long_scan_and_conv1d);
    CHECK_EXIT();
}
