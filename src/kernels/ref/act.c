/* Reference activations, written as torch defines them. */
#include "kernels/kernels.h"
#include <math.h>

void mdm_silu(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] / (1.0f + expf(-x[i]));
}

/* torch's threshold: above 20, log1p(e^x) equals x in f32 anyway and exp
 * would overflow for large x. */
void mdm_softplus(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 20.0f ? x[i] : log1pf(expf(x[i]));
}
