/* The "scalar" kernel set: the reference kernels behind the table's
 * contracts (dispatch.h).  The scan, conv1d and conv2d run a range (of
 * channels, tokens, output rows): the range forms in ref/, which the full
 * references call too, so the scalar set gives the reference's bits. */
#include "kernels/dispatch.h"

static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    mdm_matmul(y, x, w, bias, T, ws);
}

/* The reference matmul's dequantized row or conv2d's one weight row: a
 * small workspace, which is what a microcontroller wants. */
size_t mdm_kernels_ws_one_row(int T, int K, int conv_k, int conv_co, int N) {
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
    .ws_bytes = mdm_kernels_ws_one_row,
};
