/* The helium set's scan, SiLU and softplus, with the vector math of
 * helium_math.h (not the scalar set's bits: a fast exp, fused
 * multiply-adds, the scan's C sum in lanes). */
#include "kernels/arm/helium.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include "kernels/arm/helium_math.h"

void mdm_silu_helium(float *x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(x + i, mdm_silu4_mve(vld1q_f32(x + i)));
    if (i < n) { /* the same vector code on the tail, under a lane mask */
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        vstrwq_p_f32(x + i, mdm_silu4_mve(vldrwq_z_f32(x + i, p)), p);
    }
}

void mdm_softplus_helium(float *x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(x + i, mdm_softplus4_mve(vld1q_f32(x + i)));
    if (i < n) {
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        vstrwq_p_f32(x + i, mdm_softplus4_mve(vldrwq_z_f32(x + i, p)), p);
    }
}

static inline float hsum4(float32x4_t v) {
    return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) +
           (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
}

#define MAX_NV 4 /* states up to 16: kept in vector registers */

/* Channel by channel, all T steps, the channel's state in registers (the
 * reference goes step by step over all channels; each channel's sums are
 * the same either way).  y[t][c] is written after x[t][c] is read, so y
 * may alias x. */
void mdm_scan_helium(float *y, const float *x, const float *delta, const float *A,
                     const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                     int N, float *h, int c0, int c1) {
    if (N % 4 != 0 || N > 4 * MAX_NV) {
        mdm_scan_ref_range(y, x, delta, A, B, C, ld_bc, D, T, di, N, h, c0, c1);
        return;
    }
    const int nv = N / 4;
    for (int c = c0; c < c1; c++) {
        float32x4_t hv[MAX_NV], av[MAX_NV];
        for (int j = 0; j < nv; j++) {
            hv[j] = vdupq_n_f32(0.0f);
            av[j] = vld1q_f32(A + (size_t)c * N + 4 * j);
        }
        for (int t = 0; t < T; t++) {
            const float dt = delta[(size_t)t * di + c], xv = x[(size_t)t * di + c];
            const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int j = 0; j < nv; j++) {
                const float32x4_t dA = mdm_exp4_mve(vmulq_n_f32(av[j], dt));
                const float32x4_t bx = vmulq_n_f32(vmulq_n_f32(vld1q_f32(Bt + 4 * j), dt), xv);
                hv[j] = vfmaq_f32(bx, dA, hv[j]);
                acc = vfmaq_f32(acc, hv[j], vld1q_f32(Ct + 4 * j));
            }
            y[(size_t)t * di + c] = hsum4(acc) + xv * D[c];
        }
        for (int j = 0; j < nv; j++)
            vst1q_f32(h + (size_t)c * N + 4 * j, hv[j]);
    }
}
#endif
