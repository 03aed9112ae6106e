/* The AVX-512 kernel set (AVX-512 F/BW/DQ/VL + VNNI, FMA, F16C): each
 * entry in its own file under this folder; dispatch.c picks the set when
 * __builtin_cpu_supports says the CPU has all of them. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
const mdm_kernels mdm_kernels_avx512 = {
    .name = "avx512",
    .matmul = mdm_matmul_avx512,
    .rmsnorm = mdm_rmsnorm_avx512,
    .conv1d = mdm_conv1d_avx512,
    .scan = mdm_scan_avx512,
    .silu = mdm_silu_avx512,
    .softplus = mdm_softplus_avx512,
    .conv2d = mdm_conv2d_avx512,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .conv1d_silu = mdm_conv1d_silu_avx512,
    .silu_mul = mdm_silu_mul_avx512,
    .matmul2 = mdm_matmul2_avx512,
    .matmul_softplus = mdm_matmul_softplus_avx512,
    .scan_dt = mdm_scan_dt_avx512,
};
#endif
