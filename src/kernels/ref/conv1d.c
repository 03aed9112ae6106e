/* Reference causal depthwise conv1d: taps before t = 0 read zeros. */
#include "kernels/kernels.h"

void mdm_conv1d_causal(float *y, const float *x, const float *w, const float *b, int T, int di,
                       int K) {
    for (int t = 0; t < T; t++) {
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
