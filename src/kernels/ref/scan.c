/* Reference selective scan (spec §3 step 5), sequential over time as the
 * PyTorch selective_scan_seq, with the same operation order per element.
 * The range form runs channels [c0, c1) only; it is the scalar kernel set's
 * scan, which threads split by channels. */
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include <math.h>
#include <string.h>

void mdm_scan_ref_range(float *y, const float *x, const float *delta, const float *A,
                        const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                        int N, float *h, int c0, int c1) {
    memset(h + (size_t)c0 * N, 0, (size_t)(c1 - c0) * (size_t)N * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        for (int c = c0; c < c1; c++) {
            const float dt = delta[(size_t)t * di + c];
            const float xv = x[(size_t)t * di + c]; /* read before y (may alias x) is written */
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

void mdm_selective_scan(float *y, const float *x, const float *delta, const float *A,
                        const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                        int N, float *h) {
    mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, 0, di);
}
