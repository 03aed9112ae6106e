/* The AVX2 sets' vector exp (mdm_exp2_256: a rounded exponent added as an
 * integer, so its callers clamp) and the AVX-512 set's activations (exp,
 * and softplus's polynomial log1p) over the whole range their callers
 * reach, against the scalar set with test_simd's tolerances:
 *  - SiLU and softplus on a dense sweep of [-200, 200] and the points where
 *    the clamps and torch's threshold act, up to +-FLT_MAX (2e-6 relative
 *    or 1e-7 absolute per element); the same bits wherever a share starts;
 *  - the scan with decays far below 2^-125 (delta A down to -1e5), and
 *    over more tokens than one chunk (T > 128, states kept between chunks),
 *    within 2e-5 of the largest value. */
#include "check.h"
#include "kernel_sets.h"
#include "kernels/dispatch.h"
#include "rel_err.h"
#include <float.h>
#include <math.h>
#include <string.h>

static const mdm_kernels *sets[3];
static int n_sets;

static void find_sets(void) {
    const mdm_kernels *ks[8];
    const int n = mdm_kernels_available(ks, 8);
    for (int i = 0; i < n; i++)
        if (strcmp(ks[i]->name, "avx2") == 0 || strcmp(ks[i]->name, "avx2-vnni") == 0 ||
            strcmp(ks[i]->name, "avx512") == 0)
            sets[n_sets++] = ks[i];
}

static float uniform(uint64_t *s, float lo, float hi) {
    return lo + (hi - lo) * (float)(lcg_next(s) >> 8) / (float)(1u << 24);
}

/* op 0 SiLU, 1 softplus: every element within tolerance of the scalar set */
static void check_act(const mdm_kernels *k, int op, const float *v, size_t n) {
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    memcpy(a, v, n * sizeof *a);
    memcpy(b, v, n * sizeof *b);
    if (op) {
        k->softplus(a, n);
        mdm_softplus(b, n);
    } else {
        k->silu(a, n);
        mdm_silu(b, n);
    }
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        bad = !(fabs((double)a[i] - b[i]) <= fmax(2e-6 * fabs(b[i]), 1e-7));
        CHECKF(!bad, "%s %s(%g) = %g, want %g", k->name, op ? "softplus" : "silu", v[i], a[i],
               b[i]);
    }
    free(a), free(b);
}

static void act_ranges(void) {
    const size_t n = 400001;
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = -200.0f + 400.0f * (float)i / (float)(n - 1);
    static const float edges[] = {0.0f,  -0.0f, 20.0f,  20.0001f, 19.9999f, 86.0f, 87.0f,
                                  88.0f, 89.0f, 103.0f, 104.0f,   105.0f,   1e4f,  1e30f,
                                  1e35f, FLT_MAX};
    float e[2 * 16];
    for (int i = 0; i < 16; i++)
        e[2 * i] = edges[i], e[2 * i + 1] = -edges[i];
    for (int s = 0; s < n_sets; s++)
        for (int op = 0; op < 2; op++) {
            check_act(sets[s], op, v, n);
            check_act(sets[s], op, e, 32);
        }
    free(v);
}

/* a share starting anywhere computes each element as the whole call does */
static void act_shares(void) {
    uint64_t rs = 7;
    float v[29], whole[29], parts[29];
    for (int i = 0; i < 29; i++)
        v[i] = uniform(&rs, -30.0f, 30.0f);
    for (int s = 0; s < n_sets; s++)
        for (int op = 0; op < 2; op++) {
            void (*f)(float *, size_t) = op ? sets[s]->softplus : sets[s]->silu;
            memcpy(whole, v, sizeof v);
            f(whole, 29);
            for (int cut = 1; cut < 29; cut += 3) {
                memcpy(parts, v, sizeof v);
                f(parts, (size_t)cut);
                f(parts + cut, (size_t)(29 - cut));
                CHECKF(memcmp(whole, parts, sizeof v) == 0, "%s %s split at %d", sets[s]->name,
                       op ? "softplus" : "silu", cut);
            }
        }
}

/* T tokens, di channels, N states; A = -exp(U[a_lo, a_hi]), delta in
 * [0.01, dt_hi]; the scan in two channel ranges, as two threads run it. */
static void scan_case(const mdm_kernels *k, int T, int di, int N, float a_lo, float a_hi,
                      float dt_hi, uint64_t *rs) {
    const size_t n = (size_t)T * di;
    const int ld = 2 * N;
    float *x = malloc(n * 4), *dl = malloc(n * 4), *A = malloc((size_t)di * N * 4);
    float *B = malloc((size_t)T * ld * 4), *D = malloc((size_t)di * 4);
    float *y = malloc(n * 4), *ref = malloc(n * 4), *h = malloc((size_t)di * N * 4);
    for (size_t i = 0; i < n; i++) {
        x[i] = uniform(rs, -1.0f, 1.0f);
        dl[i] = uniform(rs, 0.01f, dt_hi);
    }
    for (size_t i = 0; i < (size_t)T * ld; i++)
        B[i] = uniform(rs, -1.0f, 1.0f);
    for (int i = 0; i < di; i++)
        D[i] = uniform(rs, -1.0f, 1.0f);
    for (size_t i = 0; i < (size_t)di * N; i++)
        A[i] = -expf(uniform(rs, a_lo, a_hi));
    mdm_selective_scan(ref, x, dl, A, B, B + N, ld, D, T, di, N, h);
    const int mid = di / 2 / 8 * 8;
    k->scan(y, x, dl, A, B, B + N, ld, D, T, di, N, h, 0, mid);
    k->scan(y, x, dl, A, B, B + N, ld, D, T, di, N, h, mid, di);
    const double e = rel_err(y, ref, n);
    CHECKF(e <= 2e-5, "%s scan T=%d di=%d N=%d A in -exp[%g, %g] dt <= %g: rel err %.3g",
           k->name, T, di, N, a_lo, a_hi, dt_hi, e);
    free(x), free(dl), free(A), free(B), free(D), free(y), free(ref), free(h);
}

static void scan_ranges(void) {
    uint64_t rs = 11;
    for (int s = 0; s < n_sets; s++) {
        scan_case(sets[s], 40, 32, 16, 4.0f, 9.2f, 10.0f, &rs);   /* delta A to -1e5 */
        scan_case(sets[s], 300, 32, 16, -3.0f, 2.0f, 1.0f, &rs);  /* three chunks */
        scan_case(sets[s], 300, 24, 17, -6.0f, 0.0f, 0.1f, &rs);  /* slow decays, odd N */
    }
}

int main(void) {
    find_sets();
    if (n_sets == 0) {
        SKIP("act_ranges", "no AVX2 set on this CPU");
        SKIP("act_shares", "no AVX2 set on this CPU");
        SKIP("scan_ranges", "no AVX2 set on this CPU");
        return 0;
    }
    RUN(act_ranges);
    RUN(act_shares);
    RUN(scan_ranges);
    CHECK_EXIT();
}
