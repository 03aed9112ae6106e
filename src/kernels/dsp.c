/* The "dsp" kernel set, for cores with the DSP extension and no vector
 * unit (Cortex-M4, M7; `auto` there): Q8_0 and Q4_0 linear layers in
 * int8, by SMLAD (two 16x16 multiply-adds into 32 bits per instruction).
 * The activations are quantized per 32-value block as the SIMD sets do
 * (scale amax/127, round to nearest) into 16-bit pairs, once per call;
 * the weights are read in place, four bytes at a time turned into pairs
 * by SXTB16 (Q8_0) or mask and UXTB16 (Q4_0) and used for four tokens;
 * a block's integer dot product is scaled by both scales.
 * The scan, SiLU and softplus take e^x from fastexp.h instead of expf.
 * Everything else, F32/F16 weights included, is the tiled set's.
 *
 * Plain C with a portable SMLAD where the core has none, so the host's
 * cross-kernel test (tests/test_simd.c) checks the same arithmetic; an
 * ARM build with __ARM_FEATURE_SIMD32 uses the instruction. */
#include "kernels/dispatch.h"
#include "kernels/fastexp.h"
#include "kernels/quant.h"
#include <math.h> /* fabsf, log1pf */
#include <string.h>

#if defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
static inline int32_t smlad(uint32_t a, uint32_t b, int32_t acc) {
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}
/* bytes 0 and 2, sign- or zero-extended to 16-bit halves */
static inline uint32_t sxtb16(uint32_t a) { return (uint32_t)__sxtb16((int8x4_t)a); }
static inline uint32_t uxtb16(uint32_t a) { return (uint32_t)__uxtb16((int8x4_t)a); }
#else
static inline int32_t smlad(uint32_t a, uint32_t b, int32_t acc) {
    return acc + (int16_t)(a & 0xFFFFu) * (int16_t)(b & 0xFFFFu) +
           (int16_t)(a >> 16) * (int16_t)(b >> 16);
}
static inline uint32_t sxtb16(uint32_t a) {
    return (uint32_t)(uint16_t)(int16_t)(int8_t)(a & 0xFFu) |
           (uint32_t)(uint16_t)(int16_t)(int8_t)((a >> 16) & 0xFFu) << 16;
}
static inline uint32_t uxtb16(uint32_t a) { return a & 0x00FF00FFu; }
#endif

#define TOKENS 4           /* tokens per pass over a weight row */
#define WORDS (MDM_QK / 2) /* 16-bit pairs per block */

/* A block of activations: scale, the sum of its int8 values (Q4_0's
 * offset 8 is taken off as 8 * sum) and the values as 16-bit pairs in the
 * order the weight type's bytes unpack in (see dot4_q8, dot4_q4). */
typedef struct {
    float d;
    int32_t sum;
    uint32_t q[WORDS];
} xblock;

static uint32_t pack(int lo, int hi) { return (uint32_t)(uint16_t)lo | (uint32_t)hi << 16; }

/* to nearest, halves away from 0 (|v| <= 127: no overflow); lrintf would
 * be a library call on a Cortex-M */
static int round_int(float v) { return (int)(v + (v < 0.0f ? -0.5f : 0.5f)); }

/* n values (a multiple of 32) to blocks, scale amax/127. */
static void quantize_x(const float *x, xblock *out, int n, mdm_type type) {
    for (int b = 0; b < n / MDM_QK; b++, x += MDM_QK) {
        float amax = 0.0f;
        for (int i = 0; i < MDM_QK; i++)
            amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax; /* fmaxf is a call on an M4 */
        const float d = amax / 127.0f, id = d > 0.0f ? 1.0f / d : 0.0f;
        int q[MDM_QK], sum = 0;
        for (int i = 0; i < MDM_QK; i++)
            sum += q[i] = round_int(x[i] * id);
        out[b].d = d;
        out[b].sum = sum;
        uint32_t *o = out[b].q;
        if (type == MDM_TYPE_Q8_0) /* 4 bytes k..k+3: pairs (k, k+2), (k+1, k+3) */
            for (int k = 0; k < MDM_QK; k += 4, o += 2)
                o[0] = pack(q[k], q[k + 2]), o[1] = pack(q[k + 1], q[k + 3]);
        else /* Q4_0 bytes k..k+3 hold values k..k+3 (low) and k+16..k+19 (high) */
            for (int k = 0; k < MDM_QK / 2; k += 4, o += 4) {
                o[0] = pack(q[k], q[k + 2]), o[1] = pack(q[k + 1], q[k + 3]);
                o[2] = pack(q[k + 16], q[k + 18]), o[3] = pack(q[k + 17], q[k + 19]);
            }
    }
}

static uint32_t load32(const uint8_t *p) { /* unaligned: the blocks are 18 or 34 bytes */
    uint32_t u;
    memcpy(&u, p, 4);
    return u;
}

/* Four tokens' dot products with one Q8_0 row: each 4 weight bytes become
 * two pairs by SXTB16, used by all four tokens. */
static void dot4_q8(const mdm_block_q8_0 *w, const xblock *const x[TOKENS], int nb, float *out) {
    float acc[TOKENS] = {0};
    for (int b = 0; b < nb; b++) {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const uint32_t *x0 = x[0][b].q, *x1 = x[1][b].q, *x2 = x[2][b].q, *x3 = x[3][b].q;
        for (int k = 0; k < MDM_QK; k += 4, x0 += 2, x1 += 2, x2 += 2, x3 += 2) {
            const uint32_t u = load32((const uint8_t *)w[b].qs + k);
            const uint32_t we = sxtb16(u), wo = sxtb16(u >> 8);
            s0 = smlad(wo, x0[1], smlad(we, x0[0], s0));
            s1 = smlad(wo, x1[1], smlad(we, x1[0], s1));
            s2 = smlad(wo, x2[1], smlad(we, x2[0], s2));
            s3 = smlad(wo, x3[1], smlad(we, x3[0], s3));
        }
        const float dw = mdm_f16_to_f32(w[b].d);
        acc[0] += (float)s0 * (dw * x[0][b].d), acc[1] += (float)s1 * (dw * x[1][b].d);
        acc[2] += (float)s2 * (dw * x[2][b].d), acc[3] += (float)s3 * (dw * x[3][b].d);
    }
    memcpy(out, acc, sizeof acc);
}

/* The same for Q4_0: 4 bytes give 8 nibbles, four pairs by UXTB16; the
 * offset 8 comes off each token's block sum. */
static void dot4_q4(const mdm_block_q4_0 *w, const xblock *const x[TOKENS], int nb, float *out) {
    float acc[TOKENS] = {0};
    for (int b = 0; b < nb; b++) {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const uint32_t *x0 = x[0][b].q, *x1 = x[1][b].q, *x2 = x[2][b].q, *x3 = x[3][b].q;
        for (int k = 0; k < MDM_QK / 2; k += 4, x0 += 4, x1 += 4, x2 += 4, x3 += 4) {
            const uint32_t u = load32(w[b].qs + k);
            const uint32_t lo = u & 0x0F0F0F0Fu, hi = (u >> 4) & 0x0F0F0F0Fu;
            const uint32_t w0 = uxtb16(lo), w1 = uxtb16(lo >> 8), w2 = uxtb16(hi),
                           w3 = uxtb16(hi >> 8);
            s0 = smlad(w3, x0[3], smlad(w2, x0[2], smlad(w1, x0[1], smlad(w0, x0[0], s0))));
            s1 = smlad(w3, x1[3], smlad(w2, x1[2], smlad(w1, x1[1], smlad(w0, x1[0], s1))));
            s2 = smlad(w3, x2[3], smlad(w2, x2[2], smlad(w1, x2[1], smlad(w0, x2[0], s2))));
            s3 = smlad(w3, x3[3], smlad(w2, x3[2], smlad(w1, x3[1], smlad(w0, x3[0], s3))));
        }
        const float dw = mdm_f16_to_f32(w[b].d);
        acc[0] += (float)(s0 - 8 * x[0][b].sum) * (dw * x[0][b].d);
        acc[1] += (float)(s1 - 8 * x[1][b].sum) * (dw * x[1][b].d);
        acc[2] += (float)(s2 - 8 * x[2][b].sum) * (dw * x[2][b].d);
        acc[3] += (float)(s3 - 8 * x[3][b].sum) * (dw * x[3][b].d);
    }
    memcpy(out, acc, sizeof acc);
}

static void matmul(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                   void *ws) {
    const int in = (int)w->ne[0], out = (int)w->ne[1];
    if ((w->type != MDM_TYPE_Q8_0 && w->type != MDM_TYPE_Q4_0) || in % MDM_QK != 0) {
        mdm_kernels_tiled.matmul(y, x, w, bias, T, ws);
        return;
    }
    const int nb = in / MDM_QK;
    const size_t row_bytes = mdm_type_row_bytes(w->type, (size_t)in);
    xblock *xq = ws;
    for (int t = 0; t < T; t++)
        quantize_x(x + (size_t)t * in, xq + (size_t)t * nb, in, w->type);
    for (int t0 = 0; t0 < T; t0 += TOKENS) {
        const int nt = T - t0 < TOKENS ? T - t0 : TOKENS;
        const xblock *xt[TOKENS];
        for (int t = 0; t < TOKENS; t++) /* a short group repeats its first token */
            xt[t] = xq + (size_t)(t0 + (t < nt ? t : 0)) * nb;
        for (int o = 0; o < out; o++) {
            const void *row = (const char *)w->data + (size_t)o * row_bytes;
            float d[TOKENS];
            if (w->type == MDM_TYPE_Q8_0)
                dot4_q8(row, xt, nb, d);
            else
                dot4_q4(row, xt, nb, d);
            const float b = bias ? bias[o] : 0.0f;
            for (int t = 0; t < nt; t++)
                y[(size_t)(t0 + t) * out + o] = d[t] + b;
        }
    }
}

/* ref/scan.c's loop with mdm_exp_fast. */
static void scan(float *y, const float *x, const float *delta, const float *A, const float *B,
                 const float *C, int ld_bc, const float *D, int T, int di, int N, float *h,
                 int c0, int c1) {
    memset(h + (size_t)c0 * N, 0, (size_t)(c1 - c0) * (size_t)N * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *Bt = B + (size_t)t * ld_bc, *Ct = C + (size_t)t * ld_bc;
        for (int c = c0; c < c1; c++) {
            const float dt = delta[(size_t)t * di + c];
            const float xv = x[(size_t)t * di + c]; /* read before y (may alias x) is written */
            const float *Ac = A + (size_t)c * N;
            float *hc = h + (size_t)c * N;
            float acc = 0.0f;
            for (int n = 0; n < N; n++) {
                hc[n] = mdm_exp_fast(dt * Ac[n]) * hc[n] + dt * Bt[n] * xv;
                acc += hc[n] * Ct[n];
            }
            y[(size_t)t * di + c] = acc + xv * D[c];
        }
    }
}

static void silu(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] / (1.0f + mdm_exp_fast(-x[i]));
}

static void softplus(float *x, size_t n) { /* x itself above 20, as torch */
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 20.0f ? x[i] : log1pf(mdm_exp_fast(x[i]));
}

/* The tiled set's workspace, or all T tokens quantized. */
static size_t ws_bytes(int T, int K, int conv_k, int conv_co, int N) {
    const size_t tiled = mdm_kernels_ws_one_row(T, K, conv_k, conv_co, N);
    const size_t mine = (size_t)(T > 0 ? T : 1) * (size_t)((K + MDM_QK - 1) / MDM_QK) *
                        sizeof(xblock);
    return (tiled > mine ? tiled : mine + 63) / 64 * 64;
}

const mdm_kernels mdm_kernels_dsp = {
    .name = "dsp",
    .matmul = matmul,
    .rmsnorm = mdm_rmsnorm,
    .conv1d = mdm_conv1d_ref_range,
    .scan = scan,
    .silu = silu,
    .softplus = softplus,
    .conv2d = mdm_conv2d_tiled_range,
    .upsample = mdm_upsample2x,
    .groupnorm = mdm_groupnorm,
    .ws_bytes = ws_bytes,
};
