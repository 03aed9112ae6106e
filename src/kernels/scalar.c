/* The "scalar" kernel set: the reference kernels behind the table's
 * contracts (dispatch.h).  The scan, conv1d and conv2d run a range (of
 * channels, tokens, output rows) with bodies of their own: the reference
 * loops with the same operation order, so the scalar set gives the
 * reference's bits. */
#include "kernels/dispatch.h"
#include <math.h>
#include <string.h>

static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    mdm_matmul(y, x, w, bias, T, ws);
}

void mdm_scan_ref_range(float *y, const float *x, const float *delta, const float *A,
                        const float *B,
                        const float *C, int ld_bc, const float *D, int T, int di, int N,
                        float *h, int c0, int c1) {
    memset(h + (size_t)c0 * N, 0, (size_t)(c1 - c0) * (size_t)N * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        for (int c = c0; c < c1; c++) {
            const float dt = delta[(size_t)t * di + c];
            const float xv = x[(size_t)t * di + c];
            const float *Ac = A + (size_t)c * N;
            float *hc = h + (size_t)c * N;
            float acc = 0.0f;
            for (int n = 0; n < N; n++) {
                hc[n] = expf(dt * Ac[n]) * hc[n] + dt * Bt[n] * xv;
                acc += hc[n] * Ct[n];
            }
            y[(size_t)t * di + c] = acc + xv * D[c];
        }
    }
}

void mdm_conv1d_ref_range(float *y, const float *x, const float *w, const float *b, int T, int di,
                          int K, int t0, int t1) {
    (void)T;
    for (int t = t0; t < t1; t++) {
        for (int c = 0; c < di; c++) {
            float acc = b ? b[c] : 0.0f;
            for (int k = 0; k < K; k++) {
                const int s = t - K + 1 + k;
                if (s >= 0)
                    acc += w[(size_t)c * K + k] * x[(size_t)s * di + c];
            }
            y[(size_t)t * di + c] = acc;
        }
    }
}

/* The reference matmul's dequantized row or conv2d's one weight row: a
 * small workspace, which is what a microcontroller wants. */
static size_t ws_bytes(int T, int K, int conv_k, int conv_co, int N) {
    (void)T, (void)conv_co, (void)N;
    size_t n = (size_t)(K > conv_k ? K : conv_k);
    return (n * sizeof(float) + 64 + 63) / 64 * 64;
}

const mdm_kernels mdm_kernels_scalar = {
    .name = "scalar",
    .matmul = matmul,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = mdm_scan_ref_range,
    .silu = mdm_silu,
    .softplus = mdm_softplus,
    .conv2d = mdm_conv2d_ref_range,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .ws_bytes = ws_bytes,
};
