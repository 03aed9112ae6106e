/* Picks a kernel set by name or by the CPU (dispatch.h).  The tables are
 * const; nothing here keeps state. */
#include "kernels/dispatch.h"
#include <string.h>

size_t mdm_kernels_ws_bytes(int T, int K, int conv_k, int conv_co, int N) {
    const size_t t16 = ((size_t)(T > 0 ? T : 1) + 15) / 16 * 16, k = (size_t)(K > 0 ? K : 1);
    const size_t ck = (size_t)(conv_k > 0 ? conv_k : 1);
    size_t b = t16 * (k + 31) / 32 * 40;  /* activations quantized in groups of 16 tokens */
    b += 2 * 32 * k * sizeof(float);      /* a packed weight panel and its decoded rows */
    b += ((size_t)(conv_co > 48 ? conv_co : 48) + 32) * ck * sizeof(float); /* rows, a panel */
    b += (size_t)(N > 0 ? N : 1) * MDM_SCAN_CHUNK * sizeof(float);
    b += k * sizeof(float);               /* the reference matmul's row */
    return (b + 8 * 64 + 63) / 64 * 64;   /* alignment slack for the parts */
}

#if defined(__x86_64__)
#include <cpuid.h>

/* AVX-512 F/BW/DQ/VL (the compiler's check includes the OS's ZMM state),
 * FMA, F16C, and VNNI from CPUID leaf 7 ECX bit 11 (clang 14's
 * __builtin_cpu_supports does not know "avx512vnni"). */
static int has_avx512(void) {
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
        !__builtin_cpu_supports("fma") || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) /* F16C */
        return 0;
    __get_cpuid_count(7, 0, &a, &b, &c, &d);
    return (c >> 11) & 1;
}

static int has_avx2(void) {
    unsigned a, b, c, d;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)); /* F16C */
}

/* AVX-VNNI (the VEX vpdpbusd): CPUID leaf 7 sub-leaf 1, EAX bit 4. */
static int has_avx_vnni(void) {
    unsigned a, b, c, d;
    return has_avx2() && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1);
}
#endif

int mdm_kernels_available(const mdm_kernels **out, int max) {
    const mdm_kernels *all[8];
    int n = 0;
    all[n++] = &mdm_kernels_scalar;
#if defined(__ARM_FEATURE_SIMD32) && !defined(__aarch64__)
    all[n++] = &mdm_kernels_tiled;
    all[n++] = &mdm_kernels_dsp; /* SMLAD: auto on the M4/M7 */
#else
    all[n++] = &mdm_kernels_dsp; /* portable SMLAD: by name (and for the tests) only */
    all[n++] = &mdm_kernels_tiled; /* auto where there is no SIMD set */
#endif
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
    all[n++] = &mdm_kernels_helium;
#endif
#if defined(__x86_64__)
    if (has_avx2())
        all[n++] = &mdm_kernels_avx2;
    if (has_avx_vnni())
        all[n++] = &mdm_kernels_avx2_vnni;
    if (has_avx512())
        all[n++] = &mdm_kernels_avx512;
#endif
#if defined(__ARM_NEON)
    all[n++] = &mdm_kernels_neon; /* compiled for the target's NEON: always there */
#endif
    for (int i = 0; i < n && i < max; i++)
        out[i] = all[i];
    return n;
}

const mdm_kernels *mdm_kernels_select(const char *name) {
    const mdm_kernels *all[8];
    int n = mdm_kernels_available(all, 8);
    if (!name || strcmp(name, "auto") == 0)
        return all[n - 1];
    for (int i = 0; i < n; i++)
        if (strcmp(name, all[i]->name) == 0)
            return all[i];
    return NULL;
}
