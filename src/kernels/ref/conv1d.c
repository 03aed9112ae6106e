/* Reference causal depthwise conv1d: taps before t = 0 read zeros.  The
 * range form computes tokens [t0, t1) from the whole x; it is the scalar
 * kernel set's conv1d, which threads split by tokens. */
#include "kernels/dispatch.h"
#include "kernels/kernels.h"

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

void mdm_conv1d_causal(float *y, const float *x, const float *w, const float *b, int T, int di,
                       int K) {
    mdm_conv1d_ref_range(y, x, w, b, T, di, K, 0, T);
}
