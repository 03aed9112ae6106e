/* The AVX2 kernel sets (AVX2, FMA, F16C), for x86 CPUs without AVX-512:
 * "avx2" adds Q8_0/Q4_0 products with vpmaddubsw, "avx2-vnni" (CPUs with
 * AVX-VNNI: Alder Lake and later, Zen 5) with vpdpbusd (avx2_int8.c). */
#include "kernels/x86/avx2.h"

#if defined(__x86_64__)
const mdm_kernels mdm_kernels_avx2 = {
    .name = "avx2",
    .matmul = mdm_matmul_avx2_madd,
    .rmsnorm = mdm_rmsnorm_avx2,
    .conv1d = mdm_conv1d_avx2,
    .scan = mdm_scan_avx2,
    .silu = mdm_silu_avx2,
    .softplus = mdm_softplus_avx2,
    .conv2d = mdm_conv2d_avx2,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .conv1d_silu = mdm_conv1d_silu_avx2,
    .silu_mul = mdm_silu_mul_avx2,
    .matmul2 = mdm_matmul2_avx2_madd,
    .matmul_softplus = mdm_matmul_softplus_avx2_madd,
};

const mdm_kernels mdm_kernels_avx2_vnni = {
    .name = "avx2-vnni",
    .matmul = mdm_matmul_avx2_vnni,
    .rmsnorm = mdm_rmsnorm_avx2,
    .conv1d = mdm_conv1d_avx2,
    .scan = mdm_scan_avx2,
    .silu = mdm_silu_avx2,
    .softplus = mdm_softplus_avx2,
    .conv2d = mdm_conv2d_avx2,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .conv1d_silu = mdm_conv1d_silu_avx2,
    .silu_mul = mdm_silu_mul_avx2,
    .matmul2 = mdm_matmul2_avx2_vnni,
    .matmul_softplus = mdm_matmul_softplus_avx2_vnni,
};
#endif
