/* Kernel sets and their dispatch.  A set is a const table of function
 * pointers; mdm_kernels_select() picks one once (at context creation) by
 * name or, for "auto", by the CPU: __builtin_cpu_supports on x86, compile
 * flags on ARM.  "scalar" is always available: the reference kernels of
 * src/kernels/ref/, the oracle every other set is tested against.
 *
 * The entries have the reference kernels' contracts (kernels.h) with two
 * changes that let src/kernels/ops.c split the work over threads:
 *  - matmul and conv2d take a workspace `ws` of mdm_kernels_ws_bytes();
 *  - the scan runs channels [c0, c1) only (c0, c1 multiples of
 *    MDM_SCAN_CHUNK, or c1 == di), conv1d tokens [t0, t1) only, conv2d
 *    output rows [oy0, oy1) only (all channels).
 * A set computes every output element the same way wherever the split
 * falls (no reduction across a split), so results do not depend on the
 * thread count. */
#ifndef MDM_KERNELS_DISPATCH_H
#define MDM_KERNELS_DISPATCH_H
#include "kernels/kernels.h"

#define MDM_SCAN_CHUNK 16 /* channels per scan lane group */

typedef struct {
    const char *name;
    void (*matmul)(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws);
    void (*rmsnorm)(float *y, const float *x, const float *w, int T, int d, float eps);
    void (*conv1d)(float *y, const float *x, const float *w, const float *b, int T, int di, int K,
                   int t0, int t1);
    void (*scan)(float *y, const float *x, const float *delta, const float *A, const float *B,
                 const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                 int c0, int c1);
    void (*silu)(float *x, size_t n);
    void (*softplus)(float *x, size_t n);
    void (*conv2d)(float *y, const float *x, const mdm_tensor *w, const float *b, int ci, int co,
                   int h, int w_, int stride, void *ws, int oy0, int oy1);
    void (*upsample)(float *y, const float *x, int c, int h, int w);
    void (*groupnorm)(float *y, const float *x, const float *gamma, const float *beta, int c,
                      int hw, int groups, float eps);
    /* Bytes of one thread's workspace for these shapes; NULL: what
     * mdm_kernels_ws_bytes says (enough for every set). */
    size_t (*ws_bytes)(int T, int K, int conv_k, int conv_co, int N);
    /* Optional fused passes of the Mamba block (NULL: the separate ops, the
     * same bits): conv1d with SiLU on its outputs; y[i] *= SiLU(z[i]). */
    void (*conv1d_silu)(float *y, const float *x, const float *w, const float *b, int T, int di,
                        int K, int t0, int t1);
    void (*silu_mul)(float *y, const float *z, size_t n);
    /* Optional: two matmuls of one x without bias (y1 = x W1^T, y2 = x W2^T,
     * W1 and W2 with the same inputs), x prepared (quantized) once; NULL:
     * two matmul calls, the same bits. */
    void (*matmul2)(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                    const float *x, int T, void *ws);
    /* Optional: y = softplus(x W^T + bias), dt_proj with its activation;
     * NULL: matmul then softplus, the same bits. */
    void (*matmul_softplus)(float *y, const float *x, const mdm_tensor *w, const float *bias,
                            int T, void *ws);
    /* Optional: the scan (channels [c0, c1)) with delta = softplus(dt W^T +
     * bias) computed as it goes (dt [T][R], W F32 [di][R], bias or NULL):
     * the bits of this set's matmul_softplus followed by its scan, with no
     * delta written to memory.  Only for R <= MDM_SCAN_DT_MAX_R and
     * N <= MDM_SCAN_DT_MAX_N; NULL: those two ops. */
    void (*scan_dt)(float *y, const float *x, const float *dt, int R, const float *W,
                    const float *bias, const float *A, const float *B, const float *C, int ld_bc,
                    const float *D, int T, int di, int N, float *h, int c0, int c1);
} mdm_kernels;
#define MDM_SCAN_DT_MAX_R 128
#define MDM_SCAN_DT_MAX_N 64

/* Bytes of workspace one thread needs for matmuls of up to T tokens by K
 * inputs, 3x3 convolutions of up to conv_k = ci*9 inputs and conv_co
 * outputs (all output rows decoded to F32 at once, so the input patches are
 * built once), and a scan of N states.  The same for every set, so a
 * context's size does not depend on the CPU it runs on. */
size_t mdm_kernels_ws_bytes(int T, int K, int conv_k, int conv_co, int N);
/* The workspace of the scalar and tiled sets: one dequantized weight row of
 * a matmul or a conv2d (kernels/scalar.c). */
size_t mdm_kernels_ws_one_row(int T, int K, int conv_k, int conv_co, int N);

/* NULL or "auto": the best set this CPU runs; otherwise the set of that
 * name, or NULL when it is unknown or this CPU cannot run it. */
const mdm_kernels *mdm_kernels_select(const char *name);

/* Every set this build has and this CPU runs, best last; returns the count
 * (at most max are stored). */
int mdm_kernels_available(const mdm_kernels **out, int max);

/* The scalar set's scan: ref/scan.c's loop over channels [c0, c1) (the
 * fallback of the SIMD scans for shapes they do not cover). */
void mdm_scan_ref_range(float *y, const float *x, const float *delta, const float *A,
                        const float *B, const float *C, int ld_bc, const float *D, int T, int di,
                        int N, float *h, int c0, int c1);

/* The scalar set's conv1d: outputs of tokens [t0, t1) only, x whole (the
 * windows reach back K-1 tokens), in ref/conv1d.c's operation order. */
void mdm_conv1d_ref_range(float *y, const float *x, const float *w, const float *b, int T, int di,
                          int K, int t0, int t1);

/* The scalar set's conv2d: output rows [oy0, oy1), ref/conv2d.c's order;
 * ws holds ci*9 floats. */
void mdm_conv2d_ref_range(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                          int co, int h, int w_, int stride, void *ws, int oy0, int oy1);

/* The sets, for dispatch.c and the tests. */
extern const mdm_kernels mdm_kernels_scalar;
/* Plain C with the scalar set's bits, faster on cores without SIMD (tiled.c). */
extern const mdm_kernels mdm_kernels_tiled;
void mdm_conv2d_tiled_range(float *y, const float *x, const mdm_tensor *w, const float *b, int ci,
                            int co, int h, int w_, int stride, void *ws, int oy0, int oy1);
/* One output of the reference 3x3 convolution (k: the dequantized row). */
float mdm_conv2d_ref_one(const float *x, const float *k, float bias, int ci, int h, int w,
                         int stride, int oy, int ox);
/* Q8_0/Q4_0 linear layers in int8 by SMLAD (dsp.c): available in every
 * build (a portable SMLAD where the core has none, so the tests check it
 * everywhere); `auto` only where the core has the instruction and no
 * vector unit (Cortex-M4/M7). */
extern const mdm_kernels mdm_kernels_dsp;
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium (MVE) with a vector exp and fused multiply-adds (arm/helium.c). */
extern const mdm_kernels mdm_kernels_helium;
#endif
#if defined(__x86_64__)
extern const mdm_kernels mdm_kernels_avx2;
extern const mdm_kernels mdm_kernels_avx2_vnni;
extern const mdm_kernels mdm_kernels_avx512;
#endif
#if defined(__ARM_NEON)
extern const mdm_kernels mdm_kernels_neon;
#endif

#endif
