/* The AVX2 kernel set (AVX2, FMA, F16C): for x86 CPUs without AVX-512.
 * Quantized weights run through decoded F32 panels here (no int8 path). */
#include "kernels/x86/avx2.h"

#if defined(__x86_64__)
const mdm_kernels mdm_kernels_avx2 = {
    .name = "avx2",
    .matmul = mdm_matmul_avx2,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = mdm_scan_avx2,
    .silu = mdm_silu_avx2,
    .softplus = mdm_softplus,
    .conv2d = mdm_conv2d_avx2,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
};
#endif
