/* Linear layers on AVX-512 (x86.h).
 * F32 and F16 weights: 32 output rows at a time are transposed (F16:
 * converted first) into a panel [K][32] and multiplied on the F32 GEMM core
 * for all tokens.
 * Q8_0 and Q4_0 weights: the tokens are quantized to int8 in blocks of 32
 * (one f32 scale each, as Q8_0) and laid out 16 tokens across the lanes of
 * a vector, so that one VNNI vpdpbusd adds 4 products for each of 16 tokens
 * against 4 bytes of one weight row broadcast to all lanes.  vpdpbusd wants
 * unsigned bytes on one side: the weights go to u8 (Q8_0 + 128, Q4_0's raw
 * nibble = q + 8), and the integer sum starts at -128 (or -8) times the
 * block's activation sum to cancel the offset exactly.  Each 32-block sum
 * is then scaled by (activation scale * weight scale) into an f32 sum.
 * Workspace (dispatch.h): activations, then the packed weight rows. */
#include "kernels/x86/x86.h"
#include "kernels/x86/avx2.h"
#include "kernels/x86/quantize_x.h"
#include <string.h>

#if defined(__x86_64__)
#define NR 32     /* output rows per F32 panel */
#define MO 16     /* output rows per integer tile: a token's 16 results fill one cache line */
#define XG_BYTES MDM_XQ16_BLOCK_BYTES /* one block of 16 tokens: 8 x 64 bytes, 16 scales, 16 sums */

/* 4 bytes of a packed weight row, read as one int32 (any alias). */
typedef int32_t __attribute__((may_alias)) i32_load;

static unsigned char *align64(void *p) {
    return (unsigned char *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* ---- F32 / F16 ---------------------------------------------------------- */

MDM_AVX512 static void f16_row(const uint16_t *h, float *dst, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const void *)(h + i))));
    for (; i < n; i++)
        dst[i] = mdm_f16_to_f32(h[i]);
}

/* bp[k][j] = row o0 + j of w at column k, j < nr (zeros up to 32). */
MDM_AVX512 static void pack_panel(float *bp, const mdm_tensor *w, int o0, int nr, int K,
                                  float *tmp) {
    const float *rows = (const float *)w->data + (size_t)o0 * K;
    if (w->type != MDM_TYPE_F32) {
        const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
        for (int j = 0; j < nr; j++) {
            const void *src = (const unsigned char *)w->data + (size_t)(o0 + j) * rb;
            if (w->type == MDM_TYPE_F16)
                f16_row(src, tmp + (size_t)j * K, K);
            else
                mdm_dequantize_row(w->type, src, tmp + (size_t)j * K, (size_t)K);
        }
        rows = tmp;
    }
    /* 16 x 16 blocks transposed in registers (16 gathers per block took 15 %
     * of dt_proj's time); rows past nr and columns past K load as zeros */
    for (int j0 = 0; j0 < 32; j0 += 16)
        for (int k0 = 0; k0 < K; k0 += 16) {
            const int kn = K - k0 < 16 ? K - k0 : 16;
            const __mmask16 km = (__mmask16)(kn == 16 ? 0xffff : (1u << kn) - 1);
            __m512 r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j0 + j < nr ? _mm512_maskz_loadu_ps(km, rows + (size_t)(j0 + j) * K + k0)
                                   : _mm512_setzero_ps();
            mdm_transpose16_ps(r);
            for (int k = 0; k < kn; k++)
                _mm512_store_ps(bp + (size_t)(k0 + k) * 32 + j0, r[k]);
        }
}

/* With softplus, on each result before its store (dispatch.h's
 * matmul_softplus: dt_proj and its activation, delta not read back). */
static void matmul_f32(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                       unsigned char *ws, int softplus) {
    const int K = (int)w->ne[0], out = (int)w->ne[1];
    float *bp = (float *)align64(ws), *tmp = (float *)align64(bp + (size_t)K * 32);
    for (int o = 0; o < out; o += NR) {
        const int nr = out - o < NR ? out - o : NR;
        pack_panel(bp, w, o, nr, K, tmp);
        if (softplus)
            mdm_gemm_panel_softplus_avx512(y + o, (size_t)out, x, (size_t)K, bp, K, T, nr,
                                           bias ? bias + o : NULL);
        else
            mdm_gemm_panel_avx512(y + o, (size_t)out, x, (size_t)K, bp, K, T, nr,
                                  bias ? bias + o : NULL, NULL);
    }
}

/* ---- int8: activations: quantize_x16.c (quantize_x.h) ---------------------- */

/* ---- int8: the tile ---------------------------------------------------------- */

/* y[t][0..15] = a[0..15][t] + bias, t < n_tok: the 16 x 16 tile transposed
 * in registers into one full-line store per token (8-row tiles wrote each
 * line of y in two halves, one tile pass apart: it was read for ownership
 * twice). */
MDM_AVX512_INLINE void store_16x16(float *y, int ldy, int n_tok, __m512 *a, const float *bias) {
    mdm_transpose16_ps(a);
    const __m512 bb = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    for (int t = 0; t < n_tok; t++)
        _mm512_storeu_ps(y + (size_t)t * ldy, _mm512_add_ps(a[t], bb));
}

/* 16 tokens (one group) x mo output rows: y[t][o0 + r]. */
MDM_AVX512_INLINE void int8_tile(int mo, float *y, int ldy, int n_tok, const unsigned char *xg,
                                 const unsigned char *wq, const float *sw, int nb, int shift,
                                 const float *bias) {
    __m512 acc[MO];
#pragma GCC unroll 16
    for (int r = 0; r < mo; r++)
        acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, xg += XG_BYTES) {
        __m512i xv[8];
#pragma GCC unroll 8
        for (int k4 = 0; k4 < 8; k4++)
            xv[k4] = _mm512_load_si512((const void *)(xg + k4 * 64));
        const __m512 sx = _mm512_load_ps((const float *)(xg + 512));
        const __m512i sums = _mm512_load_si512((const void *)(xg + 576));
        const __m512i off = _mm512_sll_epi32(sums, _mm_cvtsi32_si128(shift));
        const __m512i init = _mm512_sub_epi32(_mm512_setzero_si512(), off);
#pragma GCC unroll 16
        for (int r = 0; r < mo; r++) {
            const i32_load *wb = (const i32_load *)(wq + ((size_t)b * MO + r) * 32);
            __m512i s = init, s1 = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int k4 = 0; k4 < 4; k4++) { /* 4 weight bytes broadcast from memory */
                s = _mm512_dpbusd_epi32(s, _mm512_set1_epi32(wb[k4]), xv[k4]);
                s1 = _mm512_dpbusd_epi32(s1, _mm512_set1_epi32(wb[k4 + 4]), xv[k4 + 4]);
            }
            s = _mm512_add_epi32(s, s1);
            const __m512 scale = _mm512_mul_ps(sx, _mm512_set1_ps(sw[(size_t)b * MO + r]));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[r]);
        }
    }
    if (mo == MO) {
        store_16x16(y, ldy, n_tok, acc, bias);
        return;
    }
    float out[MO][16];
#pragma GCC unroll 16
    for (int r = 0; r < mo; r++)
        _mm512_storeu_ps(out[r], acc[r]);
    for (int t = 0; t < n_tok; t++)
        for (int r = 0; r < mo; r++)
            y[(size_t)t * ldy + r] = out[r][t] + (bias ? bias[r] : 0.0f);
}

/* A ragged last group of at most 8 (or 4) tokens x MO rows: the same sums
 * on the low lanes of 256-bit (128-bit) vectors, which issue as often as
 * 512-bit ones here, so the group costs a half (a quarter) of a full one.
 * Sequences are 16 n + 3 tokens in the shipped presets (image tokens, 64
 * text positions, 3 more), so 2 threads split 20 groups and 3 tokens
 * into 10 and 10.25 groups' work instead of 10 and 11. */
#define NARROW_FN int8_tile8
#define NARROW_P(name) _mm256_##name
#define NARROW_LOAD_SI _mm256_load_si256
#define NARROW_ZERO_SI _mm256_setzero_si256
#define NARROW_VI __m256i
#define NARROW_VF __m256
#define NARROW_ZEXT _mm512_zextps256_ps512
#include "kernels/x86/int8_tile_narrow.h"
#define NARROW_FN int8_tile4
#define NARROW_P(name) _mm_##name
#define NARROW_LOAD_SI _mm_load_si128
#define NARROW_ZERO_SI _mm_setzero_si128
#define NARROW_VI __m128i
#define NARROW_VF __m128
#define NARROW_ZEXT _mm512_zextps128_ps512
#include "kernels/x86/int8_tile_narrow.h"

/* Token groups [g0, g1) by every output row: each row tile is packed once
 * and passes over the span's activations. */
MDM_AVX512 static void int8_span(float *y, const unsigned char *xq, const mdm_tensor *w,
                                 const float *bias, int T, int g0, int g1, unsigned char *wq,
                                 float *sw) {
    const int K = (int)w->ne[0], out = (int)w->ne[1], nb = K / 32;
    const int shift = w->type == MDM_TYPE_Q8_0 ? 7 : 3;
    const size_t rb = mdm_type_row_bytes(w->type, (size_t)K);
    for (int o = 0; o < out; o += MO) {
        const int mo = out - o < MO ? out - o : MO;
        mdm_pack_rows_int8_avx2(wq, sw, w, o, mo, nb, 1, MO); /* u8, block-major */
        /* the next tile's rows (contiguous) come in while this one computes,
         * a share of their lines per token group, instead of in the packer */
        const char *next = (const char *)w->data + (size_t)(o + MO) * rb;
        const int next_rows = out - o - MO < MO ? out - o - MO : MO;
        const size_t next_bytes = next_rows > 0 ? (size_t)next_rows * rb : 0;
        const size_t n_groups = (size_t)(g1 - g0);
        const size_t per_group = (next_bytes / 64 + n_groups - 1) / n_groups * 64;
        size_t pf = 0;
        for (int g = g0; g < g1; g++) {
            for (size_t e = pf + per_group; pf < e && pf < next_bytes; pf += 64)
                _mm_prefetch(next + pf, _MM_HINT_T0);
            const int n_tok = T - g * 16 < 16 ? T - g * 16 : 16;
            float *yg = y + (size_t)g * 16 * out + o;
            const unsigned char *xg = xq + (size_t)g * nb * XG_BYTES;
            const float *bo = bias ? bias + o : NULL;
            if (mo == MO && n_tok <= 4)
                int8_tile4(yg, out, n_tok, xg, wq, sw, nb, shift, bo);
            else if (mo == MO && n_tok <= 8)
                int8_tile8(yg, out, n_tok, xg, wq, sw, nb, shift, bo);
            else if (mo == MO)
                int8_tile(MO, yg, out, n_tok, xg, wq, sw, nb, shift, bo);
            else
                for (int r = 0; r < mo; r++) /* ragged last rows, one at a time */
                    int8_tile(1, yg + r, out, n_tok, xg, wq + (size_t)r * 32, sw + r, nb, shift,
                              bo ? bo + r : NULL);
        }
    }
}

/* y1 = x W1^T (+ bias) and, when w2, y2 = x W2^T: x quantized once for both.
 * In spans of token groups whose activations (about 512 KB) stay in L2:
 * a span is quantized, then every row tile of each weight passes over it.
 * Past a few hundred tokens the weights are packed once per span instead
 * of the activations streaming from memory once per row tile, and the
 * quantized span is read back from L2, not memory, so time stays linear
 * in T. */
MDM_AVX512 static void matmul_int8(float *y1, const mdm_tensor *w1, const float *bias,
                                   float *y2, const mdm_tensor *w2, const float *x, int T,
                                   unsigned char *ws) {
    const int K = (int)w1->ne[0], nb = K / 32, groups = (T + 15) / 16;
    unsigned char *xq = align64(ws);
    unsigned char *wq = align64(xq + (size_t)groups * nb * XG_BYTES);
    float *sw = (float *)align64(wq + (size_t)MO * K);
    const size_t span_bytes = (size_t)512 * 1024, group_bytes = (size_t)nb * XG_BYTES;
    const int span = group_bytes < span_bytes ? (int)(span_bytes / group_bytes) : 1;
    for (int g0 = 0; g0 < groups; g0 += span) {
        const int g1 = g0 + span < groups ? g0 + span : groups;
        const int t0 = g0 * 16, t1 = g1 * 16 < T ? g1 * 16 : T;
        mdm_quantize_x16_avx512(xq + (size_t)g0 * group_bytes, x + (size_t)t0 * K, t1 - t0, K);
        int8_span(y1, xq, w1, bias, T, g0, g1, wq, sw);
        if (w2)
            int8_span(y2, xq, w2, NULL, T, g0, g1, wq, sw);
    }
}

static int is_int8(const mdm_tensor *w) {
    return w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0;
}

void mdm_matmul_avx512(float *y, const float *x, const mdm_tensor *w, const float *bias, int T,
                       void *ws) {
    if (is_int8(w))
        matmul_int8(y, w, bias, NULL, NULL, x, T, ws);
    else
        matmul_f32(y, x, w, bias, T, ws, 0);
}

void mdm_matmul2_avx512(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                        const float *x, int T, void *ws) {
    if (is_int8(w1) && is_int8(w2)) {
        matmul_int8(y1, w1, NULL, y2, w2, x, T, ws);
    } else {
        mdm_matmul_avx512(y1, x, w1, NULL, T, ws);
        mdm_matmul_avx512(y2, x, w2, NULL, T, ws);
    }
}

/* y = softplus(x W^T + bias): the bits of mdm_matmul_avx512 followed by
 * mdm_softplus_avx512 (the same panels, tile and per-element softplus). */
void mdm_matmul_softplus_avx512(float *y, const float *x, const mdm_tensor *w, const float *bias,
                                int T, void *ws) {
    if (is_int8(w)) {
        matmul_int8(y, w, bias, NULL, NULL, x, T, ws);
        mdm_softplus_avx512(y, (size_t)T * (size_t)w->ne[1]);
    } else {
        matmul_f32(y, x, w, bias, T, ws, 1);
    }
}
#endif
