/* Reference linear layer: one weight row is dequantized into scratch and
 * reused for every token, so any weight type costs one decode per row. */
#include "kernels/kernels.h"

void mdm_matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                float *scratch) {
    const int in = (int)w->ne[0], out = (int)w->ne[1];
    const size_t row_bytes = mdm_type_row_bytes(w->type, (size_t)in);
    for (int o = 0; o < out; o++) {
        mdm_dequantize_row(w->type, (const char *)w->data + (size_t)o * row_bytes, scratch,
                           (size_t)in);
        const float b = bias ? bias[o] : 0.0f;
        for (int t = 0; t < T; t++) {
            const float *xt = x + (size_t)t * in;
            float acc = 0.0f;
            for (int i = 0; i < in; i++)
                acc += xt[i] * scratch[i];
            y[(size_t)t * out + o] = acc + b;
        }
    }
}
