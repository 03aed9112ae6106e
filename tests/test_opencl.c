/* Cross-device check of the OpenCL backend (like ggml's test-backend-ops):
 * every device kernel against the scalar reference kernels on the same
 * random inputs, then whole denoiser steps and whole images against the
 * CPU.  Run it on your own GPU to learn whether the driver can be trusted:
 *     make OPENCL=1 && build/opencl/tests/test_opencl [opencl:N]
 * Without OpenCL in the build, or without a device, it prints SKIP (and
 * under CI=true a missing device is a FAIL: CI installs PoCL).
 *
 * Tolerances come from the arithmetic, per element, with u = 2^-24 and
 * g(n) = n u / (1 - n u) (Higham's gamma):
 *  - sums of products (matmul, conv1d, conv2d): either side's result is
 *    within g(n+1) (sum |x_i w_i| + |b|) of the exact sum over its n terms
 *    whatever the order or FMA contraction, so the two differ by at most
 *    twice that.  Quantized weights decode to the same floats on both sides
 *    (d * q is exact in float), so that is the whole difference.
 *    An activation fused after the sum (act) adds its own bound below plus
 *    the sum's bound times the activation's slope (<= 1.1 for SiLU, <= 1
 *    for softplus).
 *  - elementwise ops: OpenCL 1.2's bounds (exp 3 ulp, log1p 2 ulp, divide
 *    2.5 ulp, sqrt 3 ulp; 1 ulp <= 2u relative) plus libm's 1 ulp on the
 *    host, plus one u per rounding: SiLU 16u, softplus 14u, gate 18u, and
 *    RMSNorm g(d) + 20u, all relative to |y|.
 *  - GroupNorm: the mean's and variance's float sums (the host sums in
 *    double) bounded as above, carried through (x - m) r gamma + beta.
 *  - scan: a running bound per state, E_t = |a| E_{t-1} + (u|dt A| + 8u)
 *    |a h| + 3u |dt B x| (a = exp(dt A): the argument's rounding times
 *    |dt A| plus exp's 3 ulp), then y's sum over N states as above.
 * A tiny absolute floor (1e-30) covers devices that flush denormals.
 * Whole steps and images use the targets: PSNR >= 40 dB against
 * the CPU (F32) and >= 35 dB (Q8_0, Q4_0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MDM_OPENCL
int main(void) {
    printf("SKIP opencl: built without OpenCL (make OPENCL=1 builds build/opencl/tests/test_opencl)\n");
    return 0;
}
#else
#include "check.h"
#include "context.h"
#include "kernels/kernels.h"
#include "opencl/ocl.h"
#include "test_runtime_util.h"
#include <float.h>
#include <math.h>

static const double U = 1.0 / 16777216.0;
static double gam(double n) { return n * U / (1.0 - n * U); }

static mdm_ocl *dev;
static const char *dev_name = "opencl";
static unsigned rng = 12345;
static float frand(void) { /* uniform in [-1, 1) */
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) / 8388608.0 - 1.0);
}
static void fill(float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        x[i] = frand() * scale;
}

/* Per-op result: worst |dev - ref| / tol over the elements (<= 1 passes). */
static double worst;
static void agree(const char *what, const float *d, const float *r, const double *tol, size_t n) {
    double w = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)d[i] - r[i]) / (tol[i] + 1e-30);
        if (!(e <= w)) /* NaN counts as worst */
            w = e, at = i;
    }
    if (w > worst)
        worst = w;
    mdm_ocl_release_buffers(dev, 0); /* each check makes its own */
    printf("  %-28s worst error / tolerance = %.3f\n", what, w);
    CHECKF(w <= 1.0, "%s: element %zu: device %.9g, reference %.9g, tolerance %.3g", what, at,
           d[at], r[at], tol[at]);
}

static cl_mem up(const void *host, size_t bytes) { return mdm_ocl_buffer(dev, bytes, host); }
static void down(cl_mem m, float *dst, size_t n) { mdm_ocl_read(dev, m, 0, n * sizeof(float), dst); }
static ocl_f32 f32(cl_mem m) { return (ocl_f32){m, 0}; }

/* A K x O weight of `type` from floats: its rows in the stored layout. */
static void *weight_bytes(mdm_type type, const float *w, int K, int O, size_t *bytes) {
    size_t rb = mdm_type_row_bytes(type, (size_t)K);
    unsigned char *b = malloc(rb * (size_t)O);
    for (int o = 0; o < O; o++) {
        const float *row = w + (size_t)o * K;
        unsigned char *dst = b + (size_t)o * rb;
        if (type == MDM_TYPE_F32)
            memcpy(dst, row, (size_t)K * sizeof(float));
        else if (type == MDM_TYPE_F16)
            mdm_quantize_row_f16(row, (uint16_t *)dst, (size_t)K);
        else if (type == MDM_TYPE_Q8_0)
            mdm_quantize_row_q8_0(row, (mdm_block_q8_0 *)dst, (size_t)K);
        else
            mdm_quantize_row_q4_0(row, (mdm_block_q4_0 *)dst, (size_t)K);
    }
    *bytes = rb * (size_t)O;
    return b;
}

/* ---- ops ------------------------------------------------------------------ */

/* The reference activations of ocl.h's act codes, and their bounds (header). */
static void act_ref(float *y, size_t n, int act) {
    if (act == OCL_SILU)
        mdm_silu(y, n);
    else if (act == OCL_SOFTPLUS)
        mdm_softplus(y, n);
}
static double act_tol(double sum_tol, float y, int act) {
    if (act == OCL_SILU)
        return 1.1 * sum_tol + 16 * U * fabs(y);
    if (act == OCL_SOFTPLUS)
        return sum_tol + 14 * U * fabs(y);
    return sum_tol;
}

static void check_matmul(mdm_type type, int K, int O, int T, int with_bias, int act) {
    float *x = malloc(sizeof(float) * K * T), *w = malloc(sizeof(float) * K * O);
    float *b = malloc(sizeof(float) * O), *yr = malloc(sizeof(float) * O * T);
    float *yd = malloc(sizeof(float) * O * T), *dq = malloc(sizeof(float) * K * O);
    double *tol = malloc(sizeof(double) * O * T);
    fill(x, (size_t)K * T, 2.0f), fill(w, (size_t)K * O, 0.5f), fill(b, (size_t)O, 1.0f);
    size_t wbytes;
    void *wb = weight_bytes(type, w, K, O, &wbytes);
    mdm_tensor t = {wb, type, {K, O, 1, 1}, 2, wbytes};
    mdm_matmul(yr, x, &t, with_bias ? b : NULL, T, dq);
    act_ref(yr, (size_t)O * T, act);
    size_t rb = mdm_type_row_bytes(type, (size_t)K);
    for (int o = 0; o < O; o++)
        mdm_dequantize_row(type, (unsigned char *)wb + (size_t)o * rb, dq + (size_t)o * K, (size_t)K);
    for (int tt = 0; tt < T; tt++)
        for (int o = 0; o < O; o++) {
            double s = with_bias ? fabs(b[o]) : 0;
            for (int i = 0; i < K; i++)
                s += fabs((double)x[(size_t)tt * K + i] * dq[(size_t)o * K + i]);
            tol[(size_t)tt * O + o] = act_tol(2 * gam(K + 1) * s, yr[(size_t)tt * O + o], act);
        }
    cl_mem mx = up(x, sizeof(float) * K * T), mw = up(wb, wbytes), mb = up(b, sizeof(float) * O);
    cl_mem my = up(NULL, sizeof(float) * O * T);
    ocl_weight ow = {mw, 0, rb, (int)type, K, O};
    ocl_matmul(dev, f32(my), f32(mx), &ow, with_bias ? (ocl_bytes){mb, 0} : (ocl_bytes){NULL, 0},
               T, act);
    down(my, yd, (size_t)O * T);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    char what[64];
    snprintf(what, sizeof what, "matmul %s %dx%d T=%d%s%s", mdm_type_name(type), K, O, T,
             with_bias ? " +b" : "", act == OCL_SILU ? " silu" : act == OCL_SOFTPLUS ? " softplus" : "");
    agree(what, yd, yr, tol, (size_t)O * T);
    free(x), free(w), free(b), free(yr), free(yd), free(dq), free(tol), free(wb);
}

static void test_matmul(void) {
    const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    for (int i = 0; i < 4; i++) {
        check_matmul(types[i], 96, 50, 35, 1, OCL_NONE);
        check_matmul(types[i], 256, 17, 1, 0, OCL_SILU); /* the time MLP's fc1 */
    }
    check_matmul(MDM_TYPE_F32, 6, 40, 35, 1, OCL_SOFTPLUS); /* dt_proj: K below one tile */
    check_matmul(MDM_TYPE_F32, 200, 33, 20, 0, OCL_NONE);
    check_matmul(MDM_TYPE_Q8_0, 128, 130, 70, 1, OCL_NONE); /* several 64x64 tiles, ragged edges */
    check_matmul(MDM_TYPE_F32, 96, 150, 129, 0, OCL_NONE);
}

/* The int8 path (cl_int8.c) of a Q8_0 or Q4_0 weight, in its two halves,
 * each against what it must compute, then the whole against the scalar
 * float matmul:
 *  - quantization: d = amax / 127 within OpenCL's 2.5 ulp (5u) of the exact
 *    quotient; q = rint(x / d) computed as x * (1 / d): with 1 / d within
 *    2.5 ulp and one rounding of the product, |x/d| (1 + 6u) stays within
 *    |x/d| + 127 * 7u of the exact value, so |x - q d| <= d (1/2 + 1024u);
 *  - the int8 matmul from the device's own q and d: the integer sums are
 *    exact, so only d_x * d_w, the product and the sum of nb + 1 terms round:
 *    gamma(nb + 3) (sum_b |isum_b d_x d_w| + |b|);
 *  - against the scalar float matmul: the quantization bound above per
 *    element, sum_b d_b (1/2 + 1024u) sum_k |w_k| (d_b within 5u of
 *    amax / 127), times 1 + gamma(nb + 3), plus both sides' rounding,
 *    (gamma(K + 1) + gamma(nb + 3)) (sum |x w| + |b|). */
static void check_int8(mdm_type type, int K, int O, int T, int with_bias, int act) {
    const int nb = K / 32;
    const size_t n = (size_t)K * T;
    float *x = malloc(sizeof(float) * n), *w = malloc(sizeof(float) * K * O);
    float *b = malloc(sizeof(float) * O), *yr = malloc(sizeof(float) * O * T);
    float *yd = malloc(sizeof(float) * O * T), *dq = malloc(sizeof(float) * K * O);
    float *d = malloc(sizeof(float) * T * nb), *xr = malloc(sizeof(float) * n);
    float *yi = malloc(sizeof(float) * O * T);
    signed char *q = malloc(n);
    double *tol = malloc(sizeof(double) * O * T), *tol_i = malloc(sizeof(double) * O * T);
    fill(x, n, 2.0f), fill(w, (size_t)K * O, 0.5f), fill(b, (size_t)O, 1.0f);
    for (int i = 0; i < K; i++)
        x[i] = 0.0f; /* a token of zeros: d = 0 */
    size_t wbytes;
    void *wb = weight_bytes(type, w, K, O, &wbytes);
    const size_t rb = mdm_type_row_bytes(type, (size_t)K);
    for (int o = 0; o < O; o++)
        mdm_dequantize_row(type, (unsigned char *)wb + (size_t)o * rb, dq + (size_t)o * K, (size_t)K);
    mdm_tensor t = {wb, type, {K, O, 1, 1}, 2, wbytes};
    mdm_matmul(yr, x, &t, with_bias ? b : NULL, T, xr); /* xr: its scratch row, for now */
    act_ref(yr, (size_t)O * T, act);

    cl_mem mx = up(x, sizeof(float) * n), mw = up(wb, wbytes), mb = up(b, sizeof(float) * O);
    cl_mem mq = up(NULL, n), md = up(NULL, sizeof(float) * T * nb);
    cl_mem my = up(NULL, sizeof(float) * O * T);
    ocl_weight ow = {mw, 0, rb, (int)type, K, O};
    ocl_quant_act(dev, mq, md, f32(mx), T, K);
    ocl_matmul_i8(dev, f32(my), mq, md, &ow, with_bias ? (ocl_bytes){mb, 0} : (ocl_bytes){NULL, 0},
                  T, act);
    down(my, yd, (size_t)O * T);
    mdm_ocl_read(dev, mq, 0, n, q);
    down(md, d, (size_t)T * nb);
    CHECK(mdm_ocl_check(dev) == MDM_OK);

    /* the host's sums: from the device's q and d (exact but for the device's
     * float rounding), and the bound against the float reference */
    double d_worst = 0;
    for (int tt = 0; tt < T; tt++)
        for (int o = 0; o < O; o++) {
            const float *xt = x + (size_t)tt * K, *wo = dq + (size_t)o * K;
            double exact = with_bias ? b[o] : 0, babs = with_bias ? fabs(b[o]) : 0;
            double s_blocks = babs, quant = 0, s_xw = babs;
            for (int bk = 0; bk < nb; bk++) {
                const double db = d[tt * nb + bk];
                double blk = 0, amax = 0, wsum = 0;
                for (int k = bk * 32; k < bk * 32 + 32; k++) {
                    blk += (double)q[(size_t)tt * K + k] * db * wo[k]; /* isum d_x d_w, exactly */
                    amax = fmax(amax, fabs(xt[k]));
                    wsum += fabs(wo[k]);
                    s_xw += fabs((double)xt[k] * wo[k]);
                }
                exact += blk, s_blocks += fabs(blk);
                quant += amax / 127 * (1 + 5 * U) * (0.5 + 1024 * U) * wsum;
                d_worst = fmax(d_worst, fabs(db - amax / 127) / (5 * U * amax / 127 + 1e-30));
            }
            const size_t i = (size_t)tt * O + o;
            yi[i] = (float)exact;
            tol_i[i] = gam(nb + 3) * s_blocks;
            tol[i] = quant * (1 + gam(nb + 3)) + (gam(K + 1) + gam(nb + 3)) * s_xw;
        }
    act_ref(yi, (size_t)O * T, act);
    for (size_t i = 0; i < (size_t)O * T; i++)
        tol_i[i] = act_tol(tol_i[i], yi[i], act), tol[i] = act_tol(tol[i], yr[i], act);
    char what[80];
    snprintf(what, sizeof what, "int8 %s %dx%d T=%d%s%s", mdm_type_name(type), K, O, T,
             with_bias ? " +b" : "", act == OCL_SILU ? " silu" : "");
    printf("  %-28s scale error / 5u = %.3f\n", "quant_act", d_worst);
    CHECKF(d_worst <= 1.0, "quant_act: a scale is %.3g x 5u away from amax / 127", d_worst);
    double *tq = malloc(sizeof(double) * n); /* q d within d (1/2 + 1024u) of x */
    for (size_t i = 0; i < n; i++) {
        xr[i] = (float)((double)q[i] * d[i / 32]);
        tq[i] = d[i / 32] * (0.5 + 1024 * U) + U * fabs(xr[i]); /* + xr's own rounding */
    }
    mdm_ocl_release_buffers(dev, 0);
    char wq[96];
    snprintf(wq, sizeof wq, "quant_act T=%d K=%d", T, K);
    agree(wq, xr, x, tq, n);
    snprintf(wq, sizeof wq, "%s (its own q)", what);
    agree(wq, yd, yi, tol_i, (size_t)O * T);
    agree(what, yd, yr, tol, (size_t)O * T);
    free(x), free(w), free(b), free(yr), free(yd), free(dq), free(d), free(xr), free(yi), free(q);
    free(tol), free(tol_i), free(tq), free(wb);
}

static void test_int8_matmul(void) {
    printf("  (%s: %s)\n", dev->int_dot == 1 ? "cl_khr_integer_dot_product"
                         : dev->int_dot == 2 ? "cl_arm_integer_dot_product_int8"
                                             : "no int8 dot product: the portable one",
           "the int8 kernels' IDOT4");
    check_int8(MDM_TYPE_Q8_0, 96, 50, 35, 1, OCL_NONE);
    check_int8(MDM_TYPE_Q4_0, 96, 50, 35, 1, OCL_NONE);
    check_int8(MDM_TYPE_Q8_0, 256, 17, 1, 0, OCL_SILU); /* the time MLP's fc1 */
    check_int8(MDM_TYPE_Q4_0, 128, 130, 70, 0, OCL_NONE); /* several tiles, ragged edges */
    check_int8(MDM_TYPE_Q8_0, 192, 70, 129, 1, OCL_NONE);
}

static void test_elementwise(void) {
    const int n = 5000;
    float *x = malloc(sizeof(float) * n), *z = malloc(sizeof(float) * n);
    float *r = malloc(sizeof(float) * n), *d = malloc(sizeof(float) * n);
    double *tol = malloc(sizeof(double) * n);
    fill(x, (size_t)n, 30.0f), fill(z, (size_t)n, 10.0f);
    for (int op = 0; op < 2; op++) {
        memcpy(r, x, sizeof(float) * n);
        (op == 0 ? mdm_silu : mdm_softplus)(r, (size_t)n);
        cl_mem m = up(x, sizeof(float) * n);
        ocl_act(dev, f32(m), n, op == 0 ? OCL_SILU : OCL_SOFTPLUS);
        down(m, d, (size_t)n);
        for (int i = 0; i < n; i++)
            tol[i] = (op == 0 ? 16 : 14) * U * fabs(r[i]);
        agree(op == 0 ? "silu" : "softplus", d, r, tol, (size_t)n);
    }
    /* gate: y *= SiLU(z) */
    memcpy(r, z, sizeof(float) * n);
    mdm_silu(r, (size_t)n);
    for (int i = 0; i < n; i++)
        r[i] *= x[i], tol[i] = 18 * U * fabs(r[i]);
    cl_mem my = up(x, sizeof(float) * n), mz = up(z, sizeof(float) * n);
    ocl_gate(dev, f32(my), f32(mz), n);
    down(my, d, (size_t)n);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    agree("gate", d, r, tol, (size_t)n);
    free(x), free(z), free(r), free(d), free(tol);
}

static void test_rmsnorm(void) {
    const int T = 35, dm = 96;
    float *x = malloc(sizeof(float) * T * dm), *w = malloc(sizeof(float) * dm);
    float *r = malloc(sizeof(float) * T * dm), *d = malloc(sizeof(float) * T * dm);
    double *tol = malloc(sizeof(double) * T * dm);
    fill(x, (size_t)T * dm, 3.0f), fill(w, (size_t)dm, 1.0f);
    mdm_rmsnorm(r, x, w, T, dm, 1e-5f);
    for (int i = 0; i < T * dm; i++)
        tol[i] = (gam(dm) + 20 * U) * fabs(r[i]);
    cl_mem mx = up(x, sizeof(float) * T * dm), mw = up(w, sizeof(float) * dm);
    ocl_rmsnorm(dev, f32(mx), f32(mx), (ocl_bytes){mw, 0}, T, dm, 1e-5f);
    down(mx, d, (size_t)T * dm);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    agree("rmsnorm 35x96 in place", d, r, tol, (size_t)T * dm);
    free(x), free(w), free(r), free(d), free(tol);
}

static void test_conv1d(void) {
    const int T = 35, di = 100, K = 4;
    float *x = malloc(sizeof(float) * T * di), *wb = malloc(sizeof(float) * (di * K + di));
    float *r = malloc(sizeof(float) * T * di), *d = malloc(sizeof(float) * T * di);
    double *tol = malloc(sizeof(double) * T * di);
    fill(x, (size_t)T * di, 2.0f), fill(wb, (size_t)di * K + di, 1.0f);
    const float *w = wb, *b = wb + di * K;
    mdm_conv1d_causal(r, x, w, b, T, di, K);
    mdm_silu(r, (size_t)T * di); /* fused, as the block runs it */
    for (int t = 0; t < T; t++)
        for (int c = 0; c < di; c++) {
            double s = fabs(b[c]);
            for (int k = 0; k < K; k++)
                if (t - K + 1 + k >= 0)
                    s += fabs((double)w[c * K + k] * x[(t - K + 1 + k) * di + c]);
            tol[t * di + c] = act_tol(2 * gam(K + 1) * s, r[t * di + c], OCL_SILU);
        }
    cl_mem mx = up(x, sizeof(float) * T * di), mw = up(wb, sizeof(float) * (di * K + di));
    cl_mem my = up(NULL, sizeof(float) * T * di);
    ocl_conv1d(dev, f32(my), f32(mx), (ocl_bytes){mw, 0},
               (ocl_bytes){mw, sizeof(float) * (size_t)di * K}, T, di, K, OCL_SILU);
    down(my, d, (size_t)T * di);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    agree("conv1d T=35 di=100 K=4 silu", d, r, tol, (size_t)T * di);
    free(x), free(wb), free(r), free(d), free(tol);
}

/* The scan's bound (header), evaluated along the reference's own states in double. */
static void scan_tolerance(const float *x, const float *dl, const float *A, const float *bc,
                           const float *D, int T, int di, int N, double *tol) {
    for (int c = 0; c < di; c++) {
        double *h = calloc((size_t)N, sizeof(double)), *E = calloc((size_t)N, sizeof(double));
        for (int t = 0; t < T; t++) {
            const double dt = dl[t * di + c], xv = x[t * di + c];
            double s = fabs(xv * D[c]), err = 0;
            for (int n = 0; n < N; n++) {
                const double z = dt * A[c * N + n], a = exp(z);
                const double bx = dt * bc[t * 2 * N + n] * xv, ah = fabs(a * h[n]);
                E[n] = a * E[n] + (U * fabs(z) + 8 * U) * ah + 3 * U * fabs(bx);
                h[n] = a * h[n] + bx;
                const double cn = bc[t * 2 * N + N + n];
                s += fabs(h[n] * cn) + E[n] * fabs(cn);
                err += E[n] * fabs(cn);
            }
            tol[t * di + c] = 2 * (err + gam(N + 2) * s);
        }
        free(h), free(E);
    }
}

static void check_scan(int T, int di, int N) {
    const size_t n = (size_t)T * di;
    float *x = malloc(sizeof(float) * n), *dl = malloc(sizeof(float) * n);
    float *A = malloc(sizeof(float) * di * N), *bc = malloc(sizeof(float) * T * 2 * N);
    float *D = malloc(sizeof(float) * di), *h = malloc(sizeof(float) * di * N);
    float *r = malloc(sizeof(float) * n), *d = malloc(sizeof(float) * n);
    double *tol = malloc(sizeof(double) * n);
    fill(x, n, 2.0f), fill(bc, (size_t)T * 2 * N, 1.0f), fill(D, (size_t)di, 1.0f);
    for (size_t i = 0; i < n; i++)
        dl[i] = 0.5f * (frand() + 1.0f); /* softplus outputs: positive */
    for (int i = 0; i < di * N; i++)
        A[i] = -expf(2.0f * frand());
    mdm_selective_scan(r, x, dl, A, bc, bc + N, 2 * N, D, T, di, N, h);
    scan_tolerance(x, dl, A, bc, D, T, di, N, tol);
    cl_mem mx = up(x, sizeof(float) * n), md = up(dl, sizeof(float) * n);
    cl_mem mA = up(A, sizeof(float) * di * N), mbc = up(bc, sizeof(float) * T * 2 * N);
    cl_mem mD = up(D, sizeof(float) * di), my = up(NULL, sizeof(float) * n);
    ocl_scan(dev, f32(my), f32(mx), f32(md), f32(mA), f32(mbc), 2 * N, (ocl_bytes){mD, 0}, T, di,
             N);
    down(my, d, n);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    char what[64];
    snprintf(what, sizeof what, "scan T=%d di=%d N=%d", T, di, N);
    agree(what, d, r, tol, n);
    free(x), free(dl), free(A), free(bc), free(D), free(h), free(r), free(d), free(tol);
}

static void test_scan(void) {
    check_scan(35, 192, 8);
    check_scan(20, 50, 16);
    check_scan(40, 1024, 16); /* the S preset's width */
}

static void check_conv2d(mdm_type type, int ci, int co, int hgt, int stride, int act) {
    const int K = ci * 9, oh = (hgt - 1) / stride + 1, n_out = co * oh * oh;
    float *x = malloc(sizeof(float) * ci * hgt * hgt), *w = malloc(sizeof(float) * K * co);
    float *b = malloc(sizeof(float) * co), *r = malloc(sizeof(float) * n_out);
    float *d = malloc(sizeof(float) * n_out), *dq = malloc(sizeof(float) * K * co);
    double *tol = malloc(sizeof(double) * n_out);
    fill(x, (size_t)ci * hgt * hgt, 2.0f), fill(w, (size_t)K * co, 0.3f), fill(b, (size_t)co, 1.0f);
    size_t wbytes, rb = mdm_type_row_bytes(type, (size_t)K);
    void *wq = weight_bytes(type, w, K, co, &wbytes);
    mdm_tensor t = {wq, type, {K, co, 1, 1}, 2, wbytes};
    mdm_conv2d_3x3(r, x, &t, b, ci, co, hgt, hgt, stride, dq);
    act_ref(r, (size_t)n_out, act);
    for (int o = 0; o < co; o++)
        mdm_dequantize_row(type, (unsigned char *)wq + (size_t)o * rb, dq + (size_t)o * K, (size_t)K);
    for (int o = 0; o < co; o++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < oh; ox++) {
                double s = fabs(b[o]);
                for (int c = 0; c < ci; c++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                            if (iy >= 0 && iy < hgt && ix >= 0 && ix < hgt)
                                s += fabs((double)dq[(size_t)o * K + c * 9 + ky * 3 + kx] *
                                          x[(c * hgt + iy) * hgt + ix]);
                        }
                tol[(o * oh + oy) * oh + ox] =
                    act_tol(2 * gam(K + 1) * s, r[(o * oh + oy) * oh + ox], act);
            }
    /* Weight and bias in one buffer, as in a model file. */
    size_t boff = (wbytes + 15) / 16 * 16;
    unsigned char *wbuf = calloc(1, boff + sizeof(float) * co);
    memcpy(wbuf, wq, wbytes), memcpy(wbuf + boff, b, sizeof(float) * co);
    cl_mem mw = up(wbuf, boff + sizeof(float) * co), mx = up(x, sizeof(float) * ci * hgt * hgt);
    cl_mem my = up(NULL, sizeof(float) * n_out);
    ocl_weight ow = {mw, 0, rb, (int)type, K, co};
    ocl_conv2d(dev, my, mx, &ow, (ocl_bytes){mw, boff}, ci, co, hgt, hgt, stride, act);
    down(my, d, (size_t)n_out);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    char what[64];
    snprintf(what, sizeof what, "conv2d %s %d->%d %dx%d /%d%s", mdm_type_name(type), ci, co, hgt,
             hgt, stride, act == OCL_SILU ? " silu" : "");
    agree(what, d, r, tol, (size_t)n_out);
    free(x), free(w), free(b), free(r), free(d), free(dq), free(tol), free(wq), free(wbuf);
}

static void test_conv2d(void) {
    check_conv2d(MDM_TYPE_F32, 3, 8, 13, 1, OCL_NONE);
    check_conv2d(MDM_TYPE_F32, 4, 6, 12, 2, OCL_NONE);
    check_conv2d(MDM_TYPE_F16, 32, 5, 8, 1, OCL_SILU); /* a res block's first conv */
    check_conv2d(MDM_TYPE_Q8_0, 32, 5, 8, 1, OCL_NONE);
    check_conv2d(MDM_TYPE_Q4_0, 32, 5, 9, 2, OCL_NONE);
    check_conv2d(MDM_TYPE_F32, 40, 7, 11, 2, OCL_SILU); /* channel chunks of 16: a partial one */
    check_conv2d(MDM_TYPE_Q8_0, 64, 6, 10, 1, OCL_NONE);
}

static void test_groupnorm_upsample(void) {
    const int c = 16, hw = 100, G = 4, cg = c / G, n = c * hw;
    float *x = malloc(sizeof(float) * n), *gb = malloc(sizeof(float) * 2 * c);
    float *r = malloc(sizeof(float) * 4 * n), *d = malloc(sizeof(float) * 4 * n);
    double *tol = malloc(sizeof(double) * 4 * n);
    fill(x, (size_t)n, 3.0f), fill(gb, 2 * (size_t)c, 1.0f);
    for (int i = 0; i < n; i++)
        x[i] += 1.5f; /* a non-zero mean */
    mdm_groupnorm(r, x, gb, gb + c, c, hw, G, 1e-5f);
    for (int g = 0; g < G; g++) {
        const float *xg = x + g * cg * hw;
        const int m = cg * hw;
        double sum = 0, sabs = 0, ss = 0, sdev = 0;
        for (int i = 0; i < m; i++)
            sum += xg[i], sabs += fabs(xg[i]);
        const double mean = sum / m;
        for (int i = 0; i < m; i++)
            ss += (xg[i] - mean) * (xg[i] - mean), sdev += fabs(xg[i] - mean);
        const double dm = gam(m) * sabs / m + 2 * U * fabs(mean); /* the mean's error */
        const double rv = gam(m + 3) + (2 * dm * sdev + m * dm * dm) / ss; /* the variance's */
        const double r_rel = rv / 2 + 14 * U, rr = 1.0 / sqrt(ss / m + 1e-5);
        for (int i = 0; i < m; i++) {
            const int ch = g * cg + i / hw;
            const double core = (fabs(xg[i] - mean) * r_rel + dm) * rr * fabs(gb[ch]);
            tol[g * m + i] = core + 4 * U * (fabs(r[g * m + i]) + fabs(gb[c + ch]));
        }
    }
    cl_mem mx = up(x, sizeof(float) * n), mg = up(gb, sizeof(float) * 2 * c);
    ocl_groupnorm(dev, mx, mx, (ocl_bytes){mg, 0}, (ocl_bytes){mg, sizeof(float) * c}, c, hw, G,
                  1e-5f);
    down(mx, d, (size_t)n);
    CHECK(mdm_ocl_check(dev) == MDM_OK);
    agree("groupnorm 16x100 /4 in place", d, r, tol, (size_t)n);
    /* upsample is exact */
    mdm_upsample2x(r, x, c, 10, 10);
    cl_mem mu = up(x, sizeof(float) * n), mo = up(NULL, sizeof(float) * 4 * n);
    ocl_upsample(dev, mo, mu, c, 10, 10);
    down(mo, d, 4 * (size_t)n);
    for (int i = 0; i < 4 * n; i++)
        tol[i] = 0;
    agree("upsample 16x10x10", d, r, tol, 4 * (size_t)n);
    free(x), free(gb), free(r), free(d), free(tol);
}

/* ---- whole steps and images ------------------------------------------------- */

static double psnr_f(const float *a, const float *b, size_t n) {
    double peak = 0, se = 0;
    for (size_t i = 0; i < n; i++) {
        peak = fmax(peak, fabs(b[i]));
        se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    }
    return se == 0 ? INFINITY : 10 * log10(peak * peak / (se / (double)n));
}

static mdm_ctx *context_on(const mdm_model *m, const char *device) {
    mdm_ctx_params p = mdm_ctx_params_init();
    char err[4096] = "";
    mdm_ctx *c = NULL;
    p.kernels = "scalar", p.device = device, p.err = err, p.err_len = sizeof err;
    mdm_status st = mdm_ctx_create(m, &p, NULL, 0, &c);
    CHECKF(st == MDM_OK, "context on %s: %s: %s", device ? device : "cpu", mdm_strerror(st), err);
    return c;
}

/* One batch-2 step (t2i and caption) on both, then images, encode and a caption. */
static void compare_model(const char *label, const mdm_model *m, double min_db, const char *device) {
    mdm_ctx *cpu = context_on(m, NULL), *gpu = context_on(m, device);
    if (!cpu || !gpu) {
        mdm_ctx_free(cpu), mdm_ctx_free(gpu);
        return;
    }
    mdm_model_info mi;
    mdm_model_get_info(m, &mi);
    const size_t nl = (size_t)mi.latent_channels * (mi.image_size / mi.vae_factor) *
                      (mi.image_size / mi.vae_factor);
    const size_t Lt = (size_t)mi.text_len, ns = Lt * (size_t)(mi.vocab_size + 1);
    const size_t np = (size_t)mi.image_size * mi.image_size * mi.image_channels;
    float *lat = malloc(sizeof(float) * 2 * nl), *v[2], *s[2];
    int32_t *tok = malloc(sizeof(int32_t) * 2 * Lt);
    for (int k = 0; k < 2; k++)
        v[k] = malloc(sizeof(float) * 2 * nl), s[k] = malloc(sizeof(float) * 2 * ns);
    fill(lat, 2 * nl, 1.0f);
    for (size_t i = 0; i < 2 * Lt; i++)
        tok[i] = (int32_t)((i * 7) % (size_t)(mi.vocab_size + 1));
    const float ti[2] = {0.3f, 1.0f}, tt[2] = {0.0f, 0.6f};
    const int32_t task[2] = {0, 1};
    mdm_ctx *c2[2] = {cpu, gpu};
    for (int k = 0; k < 2; k++)
        CHECK(mdm_denoise(c2[k], 2, lat, tok, ti, tt, task, v[k], s[k]) == MDM_OK);
    double pv = psnr_f(v[1], v[0], 2 * nl), ps = psnr_f(s[1], s[0], 2 * ns);
    printf("  %-8s step: velocity PSNR %.1f dB, log-scores PSNR %.1f dB\n", label, pv, ps);
    CHECKF(pv >= min_db && ps >= min_db, "%s step below %.0f dB", label, min_db);

    uint8_t *px[2] = {malloc(np), malloc(np)};
    mdm_gen_params g = mdm_gen_params_init();
    g.seed = 7, g.guidance = 3.0f, g.steps = 20;
    for (int k = 0; k < 2; k++)
        CHECK(mdm_text_to_image(c2[k], "a photo of a sneaker", 20, &g, px[k], np) == MDM_OK);
    double pi = psnr_u8(px[1], px[0], np);
    printf("  %-8s image (20 steps, guidance 3): PSNR %.1f dB\n", label, pi);
    CHECKF(pi >= min_db, "%s image PSNR %.1f dB < %.0f", label, pi, min_db);
    for (int k = 0; k < 2; k++)
        CHECK(mdm_encode_image(c2[k], px[0], np, v[k]) == MDM_OK);
    double pe = psnr_f(v[1], v[0], nl);
    printf("  %-8s encode: latent PSNR %.1f dB\n", label, pe);
    CHECKF(pe >= min_db, "%s encode PSNR %.1f dB < %.0f", label, pe, min_db);
    int32_t ct[2][64];
    if (Lt <= 64) {
        for (int k = 0; k < 2; k++)
            CHECK(mdm_task_caption(c2[k], px[0], &g, ct[k]) == MDM_OK);
        int same = memcmp(ct[0], ct[1], Lt * sizeof(int32_t)) == 0;
        printf("  %-8s caption tokens %s\n", label, same ? "identical" : "DIFFER");
    }
    free(px[0]), free(px[1]), free(lat), free(tok);
    for (int k = 0; k < 2; k++)
        free(v[k]), free(s[k]);
    mdm_ctx_free(cpu), mdm_ctx_free(gpu);
}

static void compare_file(const char *path, const char *label, double min_db, const char *device) {
    mdm_model *m;
    char err[256];
    if (mdm_model_open_file(path, NULL, &m, err, sizeof err) != MDM_OK) {
        printf("  (%s: %s; skipped)\n", path, err);
        return;
    }
    compare_model(label, m, min_db, device);
    mdm_model_free(m);
}

static void compare_golden(mdm_type type, double min_db, const char *device) {
    size_t size;
    uint8_t *buf = golden_model(type, &size);
    mdm_model *m;
    char err[256];
    CHECK(buf != NULL);
    if (buf && mdm_model_open_memory(buf, size, NULL, &m, err, sizeof err) == MDM_OK) {
        char label[32];
        snprintf(label, sizeof label, "rand-%s%s", mdm_type_name(type),
                 strstr(device, "/int8") ? "/i8" : "");
        compare_model(label, m, min_db, device);
        mdm_model_free(m);
    }
    free(buf);
}

static void test_whole_steps_and_images(void) {
    compare_golden(MDM_TYPE_F32, 40.0, dev_name);
    compare_golden(MDM_TYPE_F16, 40.0, dev_name);
    compare_golden(MDM_TYPE_Q8_0, 35.0, dev_name);
    compare_golden(MDM_TYPE_Q4_0, 35.0, dev_name);
    compare_file("models/mdm-fmnist-f32.gguf", "fm-f32", 40.0, dev_name);
    compare_file("models/mdm-fmnist-q8_0.gguf", "fm-q8_0", 35.0, dev_name);
    /* The int8 matmuls, chosen whatever the device has (its own dot
     * product, or the portable one), against the scalar CPU. */
    char i8[64];
    snprintf(i8, sizeof i8, "%s/int8", dev_name);
    compare_golden(MDM_TYPE_Q8_0, 35.0, i8);
    compare_golden(MDM_TYPE_Q4_0, 35.0, i8);
    compare_file("models/mdm-fmnist-q8_0.gguf", "fm-q8_0/i8", 35.0, i8);
}

/* ---- objects and errors ------------------------------------------------------ */

static void test_release_and_errors(void) {
    size_t size;
    uint8_t *buf = golden_model(MDM_TYPE_Q8_0, &size);
    mdm_model *m;
    char err[4096];
    CHECK(buf && mdm_model_open_memory(buf, size, NULL, &m, err, sizeof err) == MDM_OK);
    if (!buf)
        return;
    mdm_ctx *c = context_on(m, dev_name); /* the session the context holds */
    mdm_ocl *o = c ? c->ocl : NULL;
    CHECK(o && o->live > OCL_N_KERNELS + 3);
    if (c) {
        printf("  a context holds %d OpenCL objects\n", o->live);
        c->ocl = NULL; /* closed here instead, to see the count */
        int left = mdm_ocl_close(o);
        CHECKF(left == 0, "%d OpenCL objects not released", left);
        mdm_ctx_free(c);
    }
    mdm_ctx_params p = mdm_ctx_params_init();
    mdm_ctx *bad = NULL;
    p.device = "opencl:99", p.err = err, p.err_len = sizeof err;
    err[0] = 0;
    CHECK(mdm_ctx_create(m, &p, NULL, 0, &bad) == MDM_ERR_NO_DEVICE && !bad && err[0]);
    printf("  opencl:99 -> %s\n", err);
    p.device = "gpu";
    CHECK(mdm_ctx_create(m, &p, NULL, 0, &bad) == MDM_ERR_INVALID_ARG && !bad);
    CHECKF(strstr(err, "device \"gpu\"") != NULL, "err \"%s\"", err);
    p.device = "opencl/int4";
    CHECK(mdm_ctx_create(m, &p, NULL, 0, &bad) == MDM_ERR_INVALID_ARG && !bad);
    mdm_model_free(m);
    free(buf);
}

/* A device whose compiler lacks the dot product a session asks for (the
 * build of that variant fails, e.g. on its #error guard) falls back to
 * the portable sum: the session opens, says int_dot 0, and its int8
 * matmul still agrees.  Forced on the test's device for each kind it does
 * not have. */
static void test_int_dot_fallback(void) {
    const int index = strncmp(dev_name, "opencl:", 7) == 0 ? atoi(dev_name + 7) : -1;
    int tried = 0;
    for (int kind = 1; kind <= 2; kind++) {
        mdm_ocl *o = NULL;
        char err[8192] = "";
        if (mdm_ocl_int_dot_kind(dev->device) == kind)
            continue;
        tried++;
        mdm_status st = mdm_ocl_open_dot(index, kind, &o, err, sizeof err);
        CHECKF(st == MDM_OK, "forcing dot product %d: %s: %s", kind, mdm_strerror(st), err);
        if (st != MDM_OK)
            continue;
        CHECKF(o->int_dot == 0, "dot product %d forced on %s: still %d, no fallback", kind,
               o->name, o->int_dot);
        mdm_ocl *keep = dev;
        dev = o; /* check_int8 runs on dev */
        check_int8(MDM_TYPE_Q8_0, 96, 50, 35, 1, OCL_NONE);
        dev = keep;
        int left = mdm_ocl_close(o);
        CHECKF(left == 0, "%d OpenCL objects left after the fallback session", left);
    }
    printf("  %d forced dot product kind(s) fell back to the portable sum\n", tried);
}

int main(int argc, char **argv) {
    char err[8192] = "";
    int index = -1;
    if (argc > 1) {
        dev_name = argv[1];
        if (strncmp(dev_name, "opencl:", 7) == 0)
            index = atoi(dev_name + 7);
    }
    mdm_status st = mdm_ocl_open(index, &dev, err, sizeof err);
    if (st == MDM_ERR_NO_DEVICE) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            printf("FAIL opencl: no OpenCL device under CI (is pocl-opencl-icd installed?): %s\n",
                   err);
            return 1;
        }
        SKIP("opencl", err);
        return 0;
    }
    if (st != MDM_OK) {
        printf("FAIL opencl: %s: %s\n", mdm_strerror(st), err);
        return 1;
    }
    printf("  device %s\n", dev->name);
    RUN(test_matmul);
    RUN(test_int8_matmul);
    RUN(test_elementwise);
    RUN(test_rmsnorm);
    RUN(test_conv1d);
    RUN(test_scan);
    RUN(test_conv2d);
    RUN(test_groupnorm_upsample);
    RUN(test_int_dot_fallback);
    printf("  worst error / tolerance over every op: %.3f\n", worst);
    int left = mdm_ocl_close(dev);
    RUN(test_whole_steps_and_images);
    RUN(test_release_and_errors);
    if (left)
        printf("FAIL opencl_ops_session: %d objects left\n", left), check_failures_total++;
    CHECK_EXIT();
}
#endif
