/* Every kernel set this CPU runs (dispatch.h) against the scalar set, on
 * random shapes with ragged tails and unaligned pointers; the threaded ops
 * against one thread, bit for bit; and whole model calls per set.
 *
 * Tolerances, as max|a - b| / max(1e-6, max|b|) over a tensor unless said:
 *  - F32/F16 matmul, conv2d, norms, conv1d: 2e-5 (sums in another order);
 *  - scan: 2e-5 (a vector exp within 2 ulp, compounded over T steps);
 *  - silu/softplus: 2e-6 elementwise relative, or 1e-7 absolute;
 *  - Q8_0/Q4_0 matmul: the SIMD set quantizes activations to int8 per
 *    32-block (scale amax/127), so each element is held to the bound of
 *    that rounding: sum over blocks of (d_x/2) * sum|w|, plus 1e-5 relative;
 *  - whole calls: denoiser velocity and log-scores within 1e-4 (F32, F16)
 *    or 5e-2 (int8 paths) of the scalar set, decoded pixels within 1 level. */
#include "check.h"
#include "kernels/ops.h"
#include "test_runtime_util.h"
#include <math.h>
#include <string.h>

typedef struct { uint64_t s; } rng;

static float rnd(rng *r) { /* uniform in [-1, 1) */
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(r->s >> 40) / (double)(1ull << 23) - 1.0);
}

static void fill(rng *r, float *v, size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        v[i] = rnd(r) * scale;
}

static const mdm_kernels *sets[8];
static int n_sets;

/* A weight of `type` with rows of K values from random floats. */
static void *make_weight(rng *r, mdm_type type, int K, int out, mdm_tensor *t) {
    size_t rb = mdm_type_row_bytes(type, (size_t)K);
    unsigned char *data = malloc(rb * (size_t)out + 1);
    float *row = malloc((size_t)K * sizeof *row);
    for (int o = 0; o < out; o++) {
        fill(r, row, (size_t)K, 1.0f);
        void *dst = data + (size_t)o * rb;
        switch (type) {
        case MDM_TYPE_F32: memcpy(dst, row, rb); break;
        case MDM_TYPE_F16: mdm_quantize_row_f16(row, dst, (size_t)K); break;
        case MDM_TYPE_Q8_0: mdm_quantize_row_q8_0(row, dst, (size_t)K); break;
        case MDM_TYPE_Q4_0: mdm_quantize_row_q4_0(row, dst, (size_t)K); break;
        }
    }
    free(row);
    *t = (mdm_tensor){data, type, {K, out, 1, 1}, 2, rb * (size_t)out};
    return data;
}

/* |y - ref| bound of the int8 path for one output (see the top). */
static double int8_bound(const float *x, const float *wrow, int K, double ref) {
    double b = 0;
    for (int k0 = 0; k0 < K; k0 += 32) {
        double amax = 0, wsum = 0;
        for (int k = k0; k < k0 + 32; k++) {
            amax = fmax(amax, fabs(x[k]));
            wsum += fabs(wrow[k]);
        }
        b += (amax / 127.0 * 0.5 + 1e-6 * amax) * wsum;
    }
    return b + 1e-5 * (fabs(ref) + 1.0);
}

static void matmul_one(const mdm_kernels *k, rng *r, mdm_type type, int T, int K, int out) {
    mdm_tensor w;
    void *data = make_weight(r, type, K, out, &w);
    float *xbuf = malloc(((size_t)T * K + 1) * sizeof *xbuf), *x = xbuf + 1; /* unaligned */
    float *bias = malloc((size_t)out * sizeof *bias);
    float *y = malloc(((size_t)T * out + 1) * sizeof *y), *ref = malloc((size_t)T * out * 4);
    float *row = malloc((size_t)K * sizeof *row);
    fill(r, x, (size_t)T * K, 2.0f);
    fill(r, bias, (size_t)out, 1.0f);
    void *ws = malloc(mdm_kernels_ws_bytes(T, K, 0, 0, 0));
    mdm_matmul(ref, x, &w, bias, T, row);
    k->matmul(y + 1, x, &w, bias, T, ws);
    if (type == MDM_TYPE_Q8_0 || type == MDM_TYPE_Q4_0) {
        size_t rb = mdm_type_row_bytes(type, (size_t)K);
        double worst = 0;
        for (int o = 0; o < out; o++) {
            mdm_dequantize_row(type, (const char *)data + (size_t)o * rb, row, (size_t)K);
            for (int t = 0; t < T; t++) {
                double e = fabs((double)y[1 + (size_t)t * out + o] - ref[(size_t)t * out + o]);
                worst = fmax(worst, e / int8_bound(x + (size_t)t * K, row, K,
                                                   ref[(size_t)t * out + o]));
            }
        }
        CHECKF(worst <= 1.0, "%s matmul %s T=%d K=%d out=%d: error %.3g of its bound", k->name,
               mdm_type_name(type), T, K, out, worst);
    } else {
        double e = rel_err(y + 1, ref, (size_t)T * out);
        CHECKF(e <= 2e-5, "%s matmul %s T=%d K=%d out=%d: rel err %.3g", k->name,
               mdm_type_name(type), T, K, out, e);
    }
    free(data), free(xbuf), free(bias), free(y), free(ref), free(row), free(ws);
}

static void simd_matmul(void) {
    rng r = {1};
    static const int Ts[] = {1, 5, 16, 17, 40}, Ks[] = {32, 96, 160}, Ks_f[] = {1, 7, 33, 100};
    static const int outs[] = {1, 7, 8, 31, 33, 70};
    static const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    for (int s = 1; s < n_sets; s++)
        for (int ty = 0; ty < 4; ty++)
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 3; b++)
                    for (int c = 0; c < 6; c++)
                        matmul_one(sets[s], &r, types[ty], Ts[a], Ks[b], outs[c]);
    for (int s = 1; s < n_sets; s++) /* F32 and F16 take any K */
        for (int ty = 0; ty < 2; ty++)
            for (int b = 0; b < 4; b++)
                matmul_one(sets[s], &r, types[ty], 13, Ks_f[b], 35);
}

static void simd_scan(void) {
    rng r = {2};
    static const int Ts[] = {1, 7, 50}, dis[] = {1, 15, 16, 17, 40}, Ns[] = {1, 3, 16, 17};
    for (int s = 1; s < n_sets; s++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < 4; c++) {
                    const int T = Ts[a], di = dis[b], N = Ns[c], ld = 2 * N + 3;
                    size_t n = (size_t)T * di;
                    float *x = malloc(n * 4), *dl = malloc(n * 4), *A = malloc((size_t)di * N * 4);
                    float *B = malloc((size_t)T * ld * 4), *D = malloc((size_t)di * 4);
                    float *y = malloc(n * 4), *ref = malloc(n * 4), *h = malloc((size_t)di * N * 4);
                    fill(&r, x, n, 1.0f);
                    fill(&r, B, (size_t)T * ld, 1.0f);
                    fill(&r, D, (size_t)di, 1.0f);
                    for (size_t i = 0; i < n; i++)
                        dl[i] = 0.01f + 0.5f * (rnd(&r) + 1.0f);
                    for (size_t i = 0; i < (size_t)di * N; i++)
                        A[i] = -expf(2.0f * rnd(&r));
                    mdm_selective_scan(ref, x, dl, A, B, B + N, ld, D, T, di, N, h);
                    /* in place (y aliases x), in two channel ranges */
                    memcpy(y, x, n * 4);
                    int mid = di > 16 ? 16 : di;
                    sets[s]->scan(y, y, dl, A, B, B + N, ld, D, T, di, N, h, 0, mid);
                    sets[s]->scan(y, y, dl, A, B, B + N, ld, D, T, di, N, h, mid, di);
                    double e = rel_err(y, ref, n);
                    CHECKF(e <= 2e-5, "%s scan T=%d di=%d N=%d: rel err %.3g", sets[s]->name, T,
                           di, N, e);
                    free(x), free(dl), free(A), free(B), free(D), free(y), free(ref), free(h);
                }
}

/* The fused scan (dispatch.h: scan_dt) against the set's own dt_proj with
 * softplus, then its scan, bit for bit: ragged channel blocks, chunks of
 * tokens (past 128) and not, dt_rank past one 16-wide transpose, with and
 * without a bias, in two channel ranges as threads call it. */
static void simd_scan_dt(void) {
    rng r = {11};
    static const int Ts[] = {1, 9, 130, 300}, dis[] = {8, 16, 40, 48}, Ns[] = {16, 5},
                     Rs[] = {1, 7, 32, 40};
    for (int s = 0; s < n_sets; s++) {
        const mdm_kernels *k = sets[s];
        if (!k->scan_dt)
            continue;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                for (int c = 0; c < 2; c++)
                    for (int e = 0; e < 4; e++) {
                        const int T = Ts[a], di = dis[b], N = Ns[c], R = Rs[e], ld = 2 * N + 3;
                        const size_t n = (size_t)T * di;
                        float *x = malloc(n * 4), *dl = malloc(n * 4), *dt = malloc((size_t)T * R * 4);
                        float *W = malloc((size_t)di * R * 4), *bias = malloc((size_t)di * 4);
                        float *A = malloc((size_t)di * N * 4), *B = malloc((size_t)T * ld * 4);
                        float *D = malloc((size_t)di * 4), *y = malloc(n * 4), *ref = malloc(n * 4);
                        float *h = malloc((size_t)di * N * 4);
                        void *ws = malloc(mdm_kernels_ws_bytes(T, R, 0, 0, 0));
                        fill(&r, x, n, 1.0f), fill(&r, B, (size_t)T * ld, 1.0f);
                        fill(&r, D, (size_t)di, 1.0f), fill(&r, dt, (size_t)T * R, 1.0f);
                        fill(&r, W, (size_t)di * R, 6.0f / (float)R), fill(&r, bias, (size_t)di, 8.0f);
                        for (size_t i = 0; i < (size_t)di * N; i++)
                            A[i] = -expf(2.0f * rnd(&r));
                        const float *bs = (a + b + e) % 2 ? NULL : bias;
                        const mdm_tensor w = {W, MDM_TYPE_F32, {R, di, 1, 1}, 2, (size_t)di * R * 4};
                        const int mid = di < 16 ? di : 16;
                        k->matmul_softplus(dl, dt, &w, bs, T, ws);
                        memcpy(ref, x, n * 4);
                        k->scan(ref, ref, dl, A, B, B + N, ld, D, T, di, N, h, 0, mid);
                        k->scan(ref, ref, dl, A, B, B + N, ld, D, T, di, N, h, mid, di);
                        memcpy(y, x, n * 4);
                        k->scan_dt(y, y, dt, R, W, bs, A, B, B + N, ld, D, T, di, N, h, 0, mid);
                        k->scan_dt(y, y, dt, R, W, bs, A, B, B + N, ld, D, T, di, N, h, mid, di);
                        CHECKF(memcmp(y, ref, n * 4) == 0,
                               "%s scan_dt T=%d di=%d N=%d R=%d bias=%d differs from "
                               "matmul_softplus, scan (rel err %.3g)",
                               k->name, T, di, N, R, bs != NULL, rel_err(y, ref, n));
                        free(x), free(dl), free(dt), free(W), free(bias), free(A), free(B);
                        free(D), free(y), free(ref), free(h), free(ws);
                    }
    }
}

static void simd_conv2d(void) {
    rng r = {3};
    static const int cis[] = {1, 3, 32}, cos_[] = {1, 13, 50}, hs[] = {1, 2, 5, 33, 40};
    static const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0};
    for (int s = 1; s < n_sets; s++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 5; c++)
                    for (int st = 1; st <= 2; st++)
                        for (int ty = 0; ty < 3; ty++) {
                            const int ci = cis[a], co = cos_[b], h = hs[c], w = hs[(c + 2) % 5];
                            if (types[ty] == MDM_TYPE_Q8_0 && ci * 9 % 32)
                                continue;
                            const int oh = (h - 1) / st + 1, ow = (w - 1) / st + 1;
                            mdm_tensor wt;
                            void *data = make_weight(&r, types[ty], ci * 9, co, &wt);
                            size_t nx = (size_t)ci * h * w, ny = (size_t)co * oh * ow;
                            float *x = malloc((nx + 1) * 4), *bias = malloc((size_t)co * 4);
                            float *y = malloc((ny + 1) * 4), *ref = malloc(ny * 4);
                            float *row = malloc((size_t)ci * 9 * 4);
                            void *ws = malloc(mdm_kernels_ws_bytes(1, 1, ci * 9, co, 1));
                            fill(&r, x + 1, nx, 1.0f);
                            fill(&r, bias, (size_t)co, 1.0f);
                            mdm_conv2d_3x3(ref, x + 1, &wt, bias, ci, co, h, w, st, row);
                            sets[s]->conv2d(y + 1, x + 1, &wt, bias, ci, co, h, w, st, ws, 0,
                                            oh / 2); /* in two ranges of output rows */
                            sets[s]->conv2d(y + 1, x + 1, &wt, bias, ci, co, h, w, st, ws,
                                            oh / 2, oh);
                            double e = rel_err(y + 1, ref, ny);
                            CHECKF(e <= 2e-5, "%s conv2d %s ci=%d co=%d %dx%d s%d: rel err %.3g",
                                   sets[s]->name, mdm_type_name(types[ty]), ci, co, h, w, st, e);
                            free(data), free(x), free(bias), free(y), free(ref), free(row);
                            free(ws);
                        }
}

/* The elementwise and per-token kernels, whichever a set brings. */
static void fused_ops(void);

static void simd_small_ops(void) {
    fused_ops();
    rng r = {4};
    static const size_t ns[] = {1, 15, 16, 17, 100, 1000};
    for (int s = 1; s < n_sets; s++) {
        const mdm_kernels *k = sets[s];
        for (int i = 0; i < 6; i++) {
            size_t n = ns[i];
            float *a = malloc((n + 1) * 4), *b = malloc(n * 4);
            fill(&r, a + 1, n, 30.0f);
            memcpy(b, a + 1, n * 4);
            k->silu(a + 1, n);
            mdm_silu(b, n);
            for (size_t j = 0; j < n; j++)
                CHECKF(fabs(a[1 + j] - b[j]) <= fmax(2e-6 * fabs(b[j]), 1e-7),
                       "%s silu(%g) = %g, want %g", k->name, a[1 + j], a[1 + j], b[j]);
            fill(&r, a + 1, n, 30.0f);
            memcpy(b, a + 1, n * 4);
            k->softplus(a + 1, n);
            mdm_softplus(b, n);
            for (size_t j = 0; j < n; j++)
                CHECKF(fabs(a[1 + j] - b[j]) <= fmax(2e-6 * fabs(b[j]), 1e-7),
                       "%s softplus: %g, want %g", k->name, a[1 + j], b[j]);
            free(a), free(b);
        }
        static const int Ts[] = {1, 3, 40}, ds[] = {1, 15, 16, 33, 512};
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 5; b++) {
                const int T = Ts[a], d = ds[b], K = 1 + b % 4;
                size_t n = (size_t)T * d;
                float *x = malloc((n + 1) * 4), *w = malloc((size_t)d * K * 4);
                float *bb = malloc((size_t)d * 4), *y = malloc((n + 1) * 4), *ref = malloc(n * 4);
                fill(&r, x + 1, n, 3.0f);
                fill(&r, w, (size_t)d * K, 1.0f);
                fill(&r, bb, (size_t)d, 1.0f);
                mdm_rmsnorm(ref, x + 1, w, T, d, 1e-5f);
                k->rmsnorm(y + 1, x + 1, w, T, d, 1e-5f);
                double e = rel_err(y + 1, ref, n);
                CHECKF(e <= 2e-5, "%s rmsnorm T=%d d=%d: %.3g", k->name, T, d, e);
                mdm_conv1d_causal(ref, x + 1, w, bb, T, d, K);
                k->conv1d(y + 1, x + 1, w, bb, T, d, K, 0, T / 2); /* in two token ranges */
                k->conv1d(y + 1, x + 1, w, bb, T, d, K, T / 2, T);
                e = rel_err(y + 1, ref, n);
                CHECKF(e <= 2e-5, "%s conv1d T=%d d=%d K=%d: %.3g", k->name, T, d, K, e);
                free(x), free(w), free(bb), free(y), free(ref);
            }
        /* GroupNorm and upsampling */
        int c = 8, hw = 37;
        float *x = malloc((size_t)c * hw * 4), *g = malloc(32), *be = malloc(32);
        float *y = malloc((size_t)c * hw * 16), *ref = malloc((size_t)c * hw * 16);
        fill(&r, x, (size_t)c * hw, 2.0f);
        fill(&r, g, 8, 1.0f);
        fill(&r, be, 8, 1.0f);
        mdm_groupnorm(ref, x, g, be, c, hw, 4, 1e-5f);
        k->groupnorm(y, x, g, be, c, hw, 4, 1e-5f);
        CHECKF(rel_err(y, ref, (size_t)c * hw) <= 2e-5, "%s groupnorm", k->name);
        mdm_upsample2x(ref, x, c, 1, hw);
        k->upsample(y, x, c, 1, hw);
        CHECKF(memcmp(y, ref, (size_t)c * hw * 16) == 0, "%s upsample", k->name);
        free(x), free(g), free(be), free(y), free(ref);
    }
}

/* ---- fused passes: the bits of the separate ops they replace ------------ */

/* The optional fused ops of every set that has them (dispatch.h), within
 * simd_small_ops: a set without them has nothing here to check. */
static void fused_ops(void) {
    rng r = {6};
    for (int s = 0; s < n_sets; s++) {
        const mdm_kernels *k = sets[s];
        static const int Ts[] = {1, 5, 70}, ds[] = {16, 33, 1024};
        for (int a = 0; a < 3 && k->conv1d_silu; a++)
            for (int b = 0; b < 3; b++) {
                const int T = Ts[a], d = ds[b], K = b == 1 ? 3 : 4;
                const size_t n = (size_t)T * d;
                float *x = malloc(n * 4), *w = malloc((size_t)d * K * 4), *bb = malloc(d * 4u);
                float *y = malloc(n * 4), *ref = malloc(n * 4);
                fill(&r, x, n, 3.0f), fill(&r, w, (size_t)d * K, 1.0f), fill(&r, bb, d, 1.0f);
                k->conv1d(ref, x, w, bb, T, d, K, 0, T);
                k->silu(ref, n);
                k->conv1d_silu(y, x, w, bb, T, d, K, 0, T / 3); /* in two token ranges */
                k->conv1d_silu(y, x, w, bb, T, d, K, T / 3, T);
                CHECKF(memcmp(y, ref, n * 4) == 0, "%s conv1d_silu T=%d d=%d K=%d differs",
                       k->name, T, d, K);
                free(x), free(w), free(bb), free(y), free(ref);
            }
        static const size_t ns[] = {1, 15, 16, 17, 1000};
        for (int i = 0; i < 5 && k->silu_mul; i++) {
            const size_t n = ns[i];
            float *y = malloc(n * 4), *z = malloc(n * 4), *z0 = malloc(n * 4), *ref = malloc(n * 4);
            fill(&r, y, n, 5.0f), fill(&r, z, n, 30.0f);
            memcpy(ref, y, n * 4), memcpy(z0, z, n * 4);
            k->silu_mul(y, z, n);
            CHECKF(memcmp(z, z0, n * 4) == 0, "%s silu_mul wrote z", k->name);
            k->silu(z, n);
            for (size_t j = 0; j < n; j++)
                ref[j] *= z[j];
            CHECKF(memcmp(y, ref, n * 4) == 0, "%s silu_mul n=%zu differs", k->name, n);
            free(y), free(z), free(z0), free(ref);
        }
    }
    static const mdm_type types[] = {MDM_TYPE_Q8_0, MDM_TYPE_Q4_0, MDM_TYPE_F32};
    for (int s = 0; s < n_sets; s++)
        for (int i = 0; i < 3 && sets[s]->matmul2; i++)
            for (int T = 1; T <= 40; T += 13) {
                const mdm_kernels *k = sets[s];
                const int K = 64, o1 = 24, o2 = 9; /* a ragged row tile in each */
                mdm_tensor w1, w2;
                void *d1 = make_weight(&r, types[i], K, o1, &w1);
                void *d2 = make_weight(&r, types[i == 2 ? 0 : i], K, o2, &w2);
                float *x = malloc((size_t)T * K * 4), *y1 = malloc((size_t)T * o1 * 4);
                float *y2 = malloc((size_t)T * o2 * 4), *r1 = malloc((size_t)T * o1 * 4);
                float *r2 = malloc((size_t)T * o2 * 4);
                void *ws = malloc(mdm_kernels_ws_bytes(T, K, 0, 0, 0));
                fill(&r, x, (size_t)T * K, 2.0f);
                k->matmul(r1, x, &w1, NULL, T, ws);
                k->matmul(r2, x, &w2, NULL, T, ws);
                k->matmul2(y1, &w1, y2, &w2, x, T, ws);
                CHECKF(memcmp(y1, r1, (size_t)T * o1 * 4) == 0 &&
                           memcmp(y2, r2, (size_t)T * o2 * 4) == 0,
                       "%s matmul2 %s T=%d differs from two matmuls", k->name,
                       mdm_type_name(types[i]), T);
                free(d1), free(d2), free(x), free(y1), free(y2), free(r1), free(r2), free(ws);
            }
    /* dt_proj with its softplus: a ragged panel (40 = 32 + 8 rows), outputs
     * both sides of softplus's threshold of 20, with and without a bias */
    for (int s = 0; s < n_sets; s++)
        for (int i = 0; i < 3 && sets[s]->matmul_softplus; i++)
            for (int T = 1; T <= 40; T += 13) {
                const mdm_kernels *k = sets[s];
                const int K = 32, o = 40;
                mdm_tensor w;
                void *d = make_weight(&r, types[i], K, o, &w);
                float *x = malloc((size_t)T * K * 4), *b = malloc(o * 4u);
                float *y = malloc((size_t)T * o * 4), *ref = malloc((size_t)T * o * 4);
                void *ws = malloc(mdm_kernels_ws_bytes(T, K, 0, 0, 0));
                fill(&r, x, (size_t)T * K, 6.0f), fill(&r, b, o, 8.0f);
                const float *bias = T == 14 ? NULL : b;
                k->matmul(ref, x, &w, bias, T, ws);
                k->softplus(ref, (size_t)T * o);
                k->matmul_softplus(y, x, &w, bias, T, ws);
                CHECKF(memcmp(y, ref, (size_t)T * o * 4) == 0,
                       "%s matmul_softplus %s T=%d differs from matmul, softplus", k->name,
                       mdm_type_name(types[i]), T);
                free(d), free(x), free(b), free(y), free(ref), free(ws);
            }
}


/* ---- threads: the ops give the same bits on 1, 2 and 3 threads ---------- */

static void exec_make(mdm_exec *ex, const mdm_kernels *k, int n, size_t stride) {
    memset(ex, 0, sizeof *ex);
    ex->k = k;
    ex->n_threads = n;
    ex->ws_stride = stride;
    ex->ws = malloc(stride * (size_t)n);
    ex->min_parallel_work = 0; /* split even the small test shapes */
    if (n > 1)
        CHECK(mdm_port_pool_create(n, &ex->pool) == MDM_OK);
}

static void exec_free(mdm_exec *ex) {
    mdm_port_pool_free(ex->pool);
    free(ex->ws);
}

static void threads_bit_identical(void) {
    rng r = {5};
    const int T = 83, K = 160, out = 77, di = 80, N = 16, ci = 32, co = 30, h = 19;
    const size_t stride = mdm_kernels_ws_bytes(T, K, ci * 9, co, N);
    float *x = malloc((size_t)T * K * 4), *bias = malloc((size_t)out * 4);
    float *dl = malloc((size_t)T * di * 4), *A = malloc((size_t)di * N * 4);
    float *B = malloc((size_t)T * 2 * N * 4), *D = malloc((size_t)di * 4);
    float *img = malloc((size_t)ci * h * h * 4);
    fill(&r, x, (size_t)T * K, 1.0f);
    fill(&r, bias, (size_t)out, 1.0f);
    fill(&r, B, (size_t)T * 2 * N, 1.0f);
    fill(&r, D, (size_t)di, 1.0f);
    fill(&r, img, (size_t)ci * h * h, 1.0f);
    for (int i = 0; i < T * di; i++)
        dl[i] = 0.3f * (rnd(&r) + 1.0f);
    for (int i = 0; i < di * N; i++)
        A[i] = -expf(rnd(&r));
    static const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    for (int s = 0; s < n_sets; s++) {
        float *res[3][8] = {{0}};
        for (int nt = 1; nt <= 3; nt++) {
            mdm_exec ex;
            exec_make(&ex, sets[s], nt, stride);
            for (int ty = 0; ty < 4; ty++) {
                rng rw = {7};
                mdm_tensor w;
                void *data = make_weight(&rw, types[ty], K, out, &w);
                float *y = res[nt - 1][ty] = malloc((size_t)T * out * 4);
                mdm_op_matmul(&ex, y, x, &w, bias, T, NULL);
                free(data);
                if (ty < 2) { /* conv2d with F32, F16 weights */
                    rng rc = {8};
                    void *cd = make_weight(&rc, types[ty], ci * 9, co, &w);
                    float *yc = res[nt - 1][4 + ty] = malloc((size_t)co * h * h * 4);
                    mdm_op_conv2d_3x3(&ex, yc, img, &w, bias, ci, co, h, h, 1, NULL);
                    free(cd);
                }
            }
            float *ys = res[nt - 1][6] = malloc((size_t)T * di * 4);
            float *hh = malloc((size_t)di * N * 4);
            memcpy(ys, x, (size_t)T * di * 4);
            mdm_op_selective_scan(&ex, ys, ys, dl, A, B, B + N, 2 * N, D, T, di, N, hh);
            mdm_op_softplus(&ex, ys, (size_t)T * di);
            mdm_op_silu(&ex, ys, (size_t)T * di);
            mdm_op_rmsnorm(&ex, ys, ys, D, T, di, 1e-5f);
            float *yc1 = res[nt - 1][7] = malloc((size_t)T * di * 4);
            mdm_op_conv1d_causal(&ex, yc1, ys, A, D, T, di, 4);
            free(hh);
            exec_free(&ex);
        }
        static const char *what[8] = {"matmul f32", "matmul f16", "matmul q8_0", "matmul q4_0",
                                      "conv2d f32", "conv2d f16", "scan+softplus+silu+rmsnorm",
                                      "conv1d"};
        static const size_t sizes[8] = {83 * 77, 83 * 77, 83 * 77, 83 * 77, 30 * 19 * 19,
                                        30 * 19 * 19, 83 * 80, 83 * 80};
        for (int j = 0; j < 8; j++)
            for (int nt = 2; nt <= 3; nt++)
                CHECKF(memcmp(res[0][j], res[nt - 1][j], sizes[j] * 4) == 0,
                       "%s: %s differs on %d threads", sets[s]->name, what[j], nt);
        for (int nt = 0; nt < 3; nt++)
            for (int j = 0; j < 8; j++)
                free(res[nt][j]);
    }
    free(x), free(bias), free(dl), free(A), free(B), free(D), free(img);
}

/* ---- whole calls per kernel set ------------------------------------------ */

typedef struct {
    float v[2 * 4 * 8 * 8];
    float *s;
    uint8_t px[32 * 32];
} call_out;

/* One batch-2 denoise and one decode on a fresh context. */
static int run_calls(const mdm_model *m, const char *kernels, int threads, call_out *o) {
    mdm_ctx_params p = mdm_ctx_params_init();
    p.kernels = kernels;
    p.n_threads = threads;
    mdm_ctx *c;
    if (mdm_ctx_create(m, &p, NULL, 0, &c) != MDM_OK)
        return 0;
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    const int Lt = info.text_len, V = info.vocab_size;
    const int nl = info.latent_channels * (info.image_size / info.vae_factor) *
                   (info.image_size / info.vae_factor);
    float *lat = malloc((size_t)2 * nl * 4);
    int32_t *tok = malloc((size_t)2 * Lt * 4);
    rng r = {9};
    fill(&r, lat, (size_t)2 * nl, 1.0f);
    for (int i = 0; i < 2 * Lt; i++)
        tok[i] = (i * 7) % (V + 1);
    float ti[2] = {0.3f, 0.8f}, tt[2] = {0.5f, 1.0f};
    int32_t task[2] = {MDM_TASK_T2I, MDM_TASK_JOINT};
    o->s = malloc((size_t)2 * Lt * (V + 1) * 4);
    int ok = nl * 2 <= (int)(sizeof o->v / 4) &&
             mdm_denoise(c, 2, lat, tok, ti, tt, task, o->v, o->s) == MDM_OK &&
             mdm_decode_latent(c, lat, o->px, sizeof o->px) == MDM_OK;
    free(lat), free(tok);
    mdm_ctx_free(c);
    return ok;
}

/* Largest |a - b| over n bytes. */
static int px_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        if (d > worst)
            worst = d;
    }
    return worst;
}

static void end_to_end(void) {
    static const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    for (int ty = 0; ty < 4; ty++) {
        size_t size;
        uint8_t *raw = golden_model(types[ty], &size), *bytes = NULL;
        if (raw && (bytes = aligned_alloc(64, (size + 63) / 64 * 64))) /* 32-bit malloc: 8 */
            memcpy(bytes, raw, size);
        free(raw);
        mdm_model *m = NULL;
        CHECK(bytes && mdm_model_open_memory(bytes, size, NULL, &m, NULL, 0) == MDM_OK);
        if (!m) {
            free(bytes);
            continue;
        }
        mdm_model_info info;
        mdm_model_get_info(m, &info);
        const size_t nv = (size_t)2 * 4 * 8 * 8, ns = (size_t)2 * info.text_len *
                                                         (info.vocab_size + 1);
        call_out ref, got, got2;
        CHECK(run_calls(m, "scalar", 1, &ref));
        const int int8 = types[ty] == MDM_TYPE_Q8_0 || types[ty] == MDM_TYPE_Q4_0;
        for (int s = 1; s < n_sets; s++) {
            CHECK(run_calls(m, sets[s]->name, 1, &got) && run_calls(m, sets[s]->name, 2, &got2));
            const double ev = rel_err(got.v, ref.v, nv), es = rel_err(got.s, ref.s, ns);
            const double tol = int8 ? 5e-2 : 1e-4;
            CHECKF(ev <= tol && es <= tol, "%s on %s: velocity %.3g, log-scores %.3g (tol %g)",
                   sets[s]->name, mdm_type_name(types[ty]), ev, es, tol);
            const int dpx = px_diff(got.px, ref.px, sizeof ref.px);
            CHECKF(dpx <= 1, "%s on %s: decoded pixels differ by %d", sets[s]->name,
                   mdm_type_name(types[ty]), dpx);
            CHECKF(memcmp(got.v, got2.v, sizeof got.v) == 0 &&
                       memcmp(got.s, got2.s, ns * 4) == 0 &&
                       memcmp(got.px, got2.px, sizeof got.px) == 0,
                   "%s on %s: 2 threads differ from 1", sets[s]->name, mdm_type_name(types[ty]));
            printf("  %-8s %-5s velocity %.2e  log-scores %.2e  pixels +-%d\n", sets[s]->name,
                   mdm_type_name(types[ty]), ev, es, dpx);
            free(got.s), free(got2.s);
        }
        free(ref.s);
        mdm_model_free(m);
        free(bytes);
    }
}

static void dispatch_names(void) {
    CHECK(mdm_kernels_select("scalar") == &mdm_kernels_scalar);
    CHECK(mdm_kernels_select(NULL) == sets[n_sets - 1]);
    CHECK(mdm_kernels_select("auto") == sets[n_sets - 1]);
    CHECK(mdm_kernels_select("no-such-set") == NULL);
    printf("  sets:");
    for (int s = 0; s < n_sets; s++)
        printf(" %s", sets[s]->name);
    printf("\n");
}

/* The cases that compare a SIMD set with the scalar one check nothing on a
 * CPU that runs only the scalar set: they say SKIP there, not PASS. */
#define RUN_SIMD(fn)                                                                  \
    do {                                                                              \
        if (n_sets < 2)                                                               \
            SKIP(#fn, "this CPU runs only the scalar set");                           \
        else                                                                          \
            RUN(fn);                                                                  \
    } while (0)

int main(void) {
    n_sets = mdm_kernels_available(sets, 8);
    RUN(dispatch_names);
    RUN_SIMD(simd_matmul);
    RUN_SIMD(simd_scan);
    RUN_SIMD(simd_scan_dt);
    RUN_SIMD(simd_conv2d);
    RUN_SIMD(simd_small_ops);
    RUN(threads_bit_identical);
    RUN_SIMD(end_to_end);
    CHECK_EXIT();
}
