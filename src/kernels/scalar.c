/* The "scalar" kernel set: the reference kernels behind the table's
 * contracts (dispatch.h).  The scan, conv1d and conv2d run a range (of
 * channels, tokens, output rows): the range forms in ref/, which the full
 * references call too, so the scalar set gives the reference's bits. */
#include "kernels/dispatch.h"

static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    mdm_matmul(y, x, w, bias, T, ws);
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
};
