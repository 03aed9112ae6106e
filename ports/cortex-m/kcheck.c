/* On-board checks of the vector math the helium set uses (it runs only on
 * an MVE core, so the host's tests cannot reach it): mdm_exp4_mve,
 * softplus and SiLU against newlib's expf, log1pf and the reference
 * formulas over a sweep of inputs.  Prints "exp_max_ulp:",
 * "softplus_max_rel_ppb:" and "silu_max_rel_ppb:" lines (tests/suites/firmware.sh
 * holds them to the bounds helium_math.h states); nothing without MVE. */
#include "semihost.h"
#include "kernels/arm/helium_math.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

void fw_kcheck(void (*kv_u64)(const char *, uint64_t));

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
static int32_t ordered(float f) { /* float bits as a monotonic integer */
    int32_t i;
    memcpy(&i, &f, 4);
    return i < 0 ? INT32_MIN - i : i;
}

/* error in billionths of the reference's magnitude (at least 1e-30) */
static uint64_t rel_ppb(float got, float want) {
    const float d = fabsf(got - want), m = fabsf(want) > 1e-30f ? fabsf(want) : 1e-30f;
    return (uint64_t)(d / m * 1e9f + 0.5f);
}

void fw_kcheck(void (*kv_u64)(const char *, uint64_t)) {
    uint64_t ulp = 0, sp = 0, si = 0;
    const int n = 20000;
    for (int i = 0; i < n; i += 4) {
        float xs[4], e[4], s[4], l[4];
        for (int j = 0; j < 4; j++) /* [-87, 88] for exp, [-30, 30] for the others */
            xs[j] = -87.0f + 175.0f * (float)(i + j) / (float)n;
        vst1q_f32(e, mdm_exp4_mve(vld1q_f32(xs)));
        for (int j = 0; j < 4; j++) {
            const int32_t d = ordered(e[j]) - ordered(expf(xs[j]));
            ulp = (uint64_t)(d < 0 ? -d : d) > ulp ? (uint64_t)(d < 0 ? -d : d) : ulp;
            xs[j] = -30.0f + 60.0f * (float)(i + j) / (float)n;
        }
        vst1q_f32(s, mdm_softplus4_mve(vld1q_f32(xs)));
        vst1q_f32(l, mdm_silu4_mve(vld1q_f32(xs)));
        for (int j = 0; j < 4; j++) {
            const float x = xs[j];
            const float want_sp = x > 20.0f ? x : log1pf(expf(x));
            const uint64_t a = rel_ppb(s[j], want_sp), b = rel_ppb(l[j], x / (1.0f + expf(-x)));
            sp = a > sp ? a : sp;
            si = b > si ? b : si;
        }
    }
    kv_u64("exp_max_ulp", ulp);
    kv_u64("softplus_max_rel_ppb", sp);
    kv_u64("silu_max_rel_ppb", si);
}
#else
void fw_kcheck(void (*kv_u64)(const char *, uint64_t)) { (void)kv_u64; }
#endif
