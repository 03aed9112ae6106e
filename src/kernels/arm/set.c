/* The NEON kernel set ("neon", or "neon-dotprod" when built with the
 * dot-product extension): present in every build for a NEON target. */
#include "kernels/arm/arm.h"

#if defined(__ARM_NEON)
const mdm_kernels mdm_kernels_neon = {
#if defined(__ARM_FEATURE_DOTPROD)
    .name = "neon-dotprod",
#else
    .name = "neon",
#endif
    .matmul = mdm_matmul_neon,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = mdm_scan_neon,
    .silu = mdm_silu,
    .softplus = mdm_softplus,
    .conv2d = mdm_conv2d_neon,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
};
#endif
