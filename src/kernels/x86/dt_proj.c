/* dt_proj and its softplus in one pass on AVX-512: delta = softplus(x W^T +
 * b).  The Mamba block's W has few inputs (dt_rank, 32 in the S preset) and
 * d_inner outputs, so the pass is as much writing delta as multiplying;
 * softplus on the results while they are in registers spares the second
 * pass that re-read all of delta from L3.  F32 weights only (what the
 * converter writes for dt_proj); other types run the two ops.  The bits are
 * those of mdm_matmul_avx512 followed by mdm_softplus_avx512: the same
 * packed panels, the same GEMM tile and the same softplus per element. */
#include "kernels/x86/x86.h"

#if defined(__x86_64__)
#define NR 32 /* output rows per panel, as the F32 matmul packs them */

/* bp[k][j] = w[o0 + j][k] for j < nr, zero for nr <= j < 32. */
static void pack_rows_f32(float *bp, const float *w, int o0, int nr, int K) {
    for (int k = 0; k < K; k++) {
        float *dst = bp + (size_t)k * NR;
        for (int j = 0; j < nr; j++)
            dst[j] = w[(size_t)(o0 + j) * K + k];
        for (int j = nr; j < NR; j++)
            dst[j] = 0.0f;
    }
}

void mdm_matmul_softplus_avx512(float *y, const float *x, const mdm_tensor *w, const float *bias,
                                int T, void *ws) {
    if (w->type != MDM_TYPE_F32) {
        mdm_matmul_avx512(y, x, w, bias, T, ws);
        mdm_softplus_avx512(y, (size_t)T * (size_t)w->ne[1]);
        return;
    }
    const int K = (int)w->ne[0], out = (int)w->ne[1];
    float *bp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    for (int o = 0; o < out; o += NR) {
        const int nr = out - o < NR ? out - o : NR;
        pack_rows_f32(bp, (const float *)w->data, o, nr, K);
        mdm_gemm_panel_softplus_avx512(y + o, (size_t)out, x, (size_t)K, bp, K, T, nr,
                                       bias ? bias + o : NULL);
    }
}
#endif
