/* The int8 matmul of the AVX2 sets, included once per instruction choice
 * by avx2_int8.c with I8_TARGET (the function target), I8_SUFFIX and
 * I8_VNNI set: 1 adds 4 byte products per lane with AVX-VNNI's vpdpbusd,
 * 0 with vpmaddubsw + vpmaddwd.  Layouts: avx2_int8.c.
 *
 * A tile is mo rows by ng groups of 8 tokens.  It walks a block's 8 groups
 * of 4 bytes in the outer loop and the rows inside it, so that one
 * activation load feeds every row and one weight broadcast every group,
 * with the mo x ng integer sums in registers (as many independent chains:
 * vpdpbusd waits a few cycles on its own sum) and the f32 sums in L1.
 * vpmaddubsw tiles are 8 rows x 1 group (two multiplies per 4 bytes: the
 * multiply pipes are the bound); vpdpbusd tiles are 6 rows x 2 groups
 * (one multiply per 4 bytes: each broadcast feeds two, fewer loads; 12
 * sums, 2 activations and a broadcast fill 15 of the 16 registers). */

#define I8_CAT2(a, b) a##b
#define I8_CAT(a, b) I8_CAT2(a, b)
#define I8_FN(name) I8_CAT(name, I8_SUFFIX)
/* Keeps a sum in its register as written: without it the compiler
 * regroups the integer additions into trees whose many partial sums no
 * longer fit the registers. */
#define I8_KEEP(v) __asm__("" : "+x"(v))
#if I8_VNNI
#define I8_ROWS 6
#define I8_GROUPS 2
#else
#define I8_ROWS 8
#define I8_GROUPS 1
#endif

/* ng <= I8_GROUPS groups of 8 tokens (n_tok of the last) from xg x
 * mo <= I8_ROWS rows: y[t][r].  q8: Q8_0 weights (else Q4_0).  mo, ng and
 * q8 are constants after inlining. */
static inline __attribute__((always_inline)) I8_TARGET void I8_FN(tile)(
    int mo, int ng, float *y, int ldy, int n_tok, const unsigned char *xg,
    const unsigned char *wq, const float *sw, int nb, int q8, const float *bias) {
    const size_t gs = (size_t)nb * XG8_BYTES; /* from one group to the next */
    float acc[I8_ROWS][I8_GROUPS][8] __attribute__((aligned(32)));
#pragma GCC unroll 8
    for (int r = 0; r < mo; r++)
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++)
            _mm256_store_ps(acc[r][g], _mm256_setzero_ps());
#if !I8_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    for (int b = 0; b < nb; b++, xg += XG8_BYTES) {
        __m256i s[I8_ROWS][I8_GROUPS]; /* int32 sums; int16 pairs for Q4_0 on vpmaddubsw */
#pragma GCC unroll 8
        for (int r = 0; r < mo; r++)
#pragma GCC unroll 2
            for (int g = 0; g < ng; g++)
                s[r][g] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int k4 = 0; k4 < 8; k4++) {
            __m256i xv[I8_GROUPS];
#if !I8_VNNI
            __m256i ax[I8_GROUPS];
#endif
#pragma GCC unroll 2
            for (int g = 0; g < ng; g++) {
                xv[g] = _mm256_load_si256((const __m256i *)(xg + g * gs + k4 * 32));
#if !I8_VNNI
                /* Q8_0: |x| on the unsigned side, x's signs go onto the weights */
                ax[g] = q8 ? _mm256_abs_epi8(xv[g]) : xv[g];
#endif
            }
#pragma GCC unroll 8
            for (int r = 0; r < mo; r++) {
                const __m256i w4 = _mm256_set1_epi32(
                    ((const i32_load *)(wq + ((size_t)r * nb + b) * 32))[k4]);
#pragma GCC unroll 2
                for (int g = 0; g < ng; g++) {
#if I8_VNNI
                    /* u8 weights (Q8_0 + 128, Q4_0 raw = q + 8) x s8 activations */
                    s[r][g] = _mm256_dpbusd_avx_epi32(s[r][g], w4, xv[g]);
#else
                    if (q8) /* |x| * (w * sign x): each product within 127 x 128 */
                        s[r][g] = _mm256_add_epi32(
                            s[r][g],
                            _mm256_madd_epi16(
                                _mm256_maddubs_epi16(ax[g], _mm256_sign_epi8(w4, xv[g])), ones));
                    else /* Q4_0's raw nibbles: a pair within 15 x 127 x 2, 8 pairs within int16 */
                        s[r][g] = _mm256_add_epi16(s[r][g], _mm256_maddubs_epi16(w4, xv[g]));
#endif
                    I8_KEEP(s[r][g]);
                }
            }
        }
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) {
            const unsigned char *xb = xg + g * gs;
            /* the u8 offset back out: -128 (Q8_0 on vpdpbusd) or -8 (Q4_0)
             * times the block's activation sum */
            const __m256i sums = _mm256_load_si256((const __m256i *)(xb + 288));
            const __m256i off = I8_VNNI || !q8 ? _mm256_slli_epi32(sums, I8_VNNI && q8 ? 7 : 3)
                                               : _mm256_setzero_si256();
            const __m256 sx = _mm256_load_ps((const float *)(xb + 256));
#pragma GCC unroll 8
            for (int r = 0; r < mo; r++) {
#if I8_VNNI
                const __m256i si = _mm256_sub_epi32(s[r][g], off);
#else
                const __m256i si =
                    q8 ? s[r][g] : _mm256_sub_epi32(_mm256_madd_epi16(s[r][g], ones), off);
#endif
                const __m256 scale = _mm256_mul_ps(sx, _mm256_set1_ps(sw[(size_t)r * nb + b]));
                _mm256_store_ps(acc[r][g], _mm256_fmadd_ps(_mm256_cvtepi32_ps(si), scale,
                                                           _mm256_load_ps(acc[r][g])));
            }
        }
    }
    for (int g = 0; g < ng; g++) {
        const int nt = g == ng - 1 ? n_tok : 8;
        for (int t = 0; t < nt; t++)
            for (int r = 0; r < mo; r++)
                y[(size_t)(g * 8 + t) * ldy + r] = acc[r][g][t] + (bias ? bias[r] : 0.0f);
    }
}

/* Token groups [g0, g1) by rows [o, o + mo) (packed in wq, sw) in tiles;
 * q8 a constant after inlining. */
static inline __attribute__((always_inline)) I8_TARGET void I8_FN(groups)(
    float *y, const unsigned char *xq, int T, int out, int o, int mo, int nb, int g0, int g1,
    const unsigned char *wq, const float *sw, int q8, const float *bias) {
    for (int g = g0; g < g1; g += I8_GROUPS) {
        const int ng = g1 - g < I8_GROUPS ? g1 - g : I8_GROUPS;
        const int last = g + ng - 1, n_tok = T - last * 8 < 8 ? T - last * 8 : 8;
        const unsigned char *xg = xq + (size_t)g * nb * XG8_BYTES;
        for (int r = 0; r < mo;) {
            float *yr = y + (size_t)g * 8 * out + o + r;
            const unsigned char *wr = wq + (size_t)r * nb * 32;
            const float *sr = sw + (size_t)r * nb, *br = bias ? bias + o + r : NULL;
            if (mo - r >= I8_ROWS) {
                if (ng == I8_GROUPS)
                    I8_FN(tile)(I8_ROWS, I8_GROUPS, yr, out, n_tok, xg, wr, sr, nb, q8, br);
                else
                    I8_FN(tile)(I8_ROWS, 1, yr, out, n_tok, xg, wr, sr, nb, q8, br);
                r += I8_ROWS;
            } else { /* ragged last rows, one at a time */
                for (int h = 0; h < ng; h++)
                    I8_FN(tile)(1, 1, yr + (size_t)h * 8 * out, out, h == ng - 1 ? n_tok : 8,
                                xg + (size_t)h * nb * XG8_BYTES, wr, sr, nb, q8, br);
                r++;
            }
        }
    }
}

/* Token groups [g0, g1) by every output row (matmul.c's int8_span): MO
 * rows packed at a time. */
static I8_TARGET void I8_FN(span)(float *y, const unsigned char *xq, const mdm_tensor *w,
                                  const float *bias, int T, int g0, int g1, unsigned char *wq,
                                  float *sw) {
    const int K = (int)w->ne[0], out = (int)w->ne[1], nb = K / 32;
    const int q8 = w->type == MDM_TYPE_Q8_0;
    for (int o = 0; o < out; o += MO) {
        const int mo = out - o < MO ? out - o : MO;
        mdm_pack_rows_int8_avx2(wq, sw, w, o, mo, nb, I8_VNNI || !q8 ? 1 : 0, 0);
        if (q8)
            I8_FN(groups)(y, xq, T, out, o, mo, nb, g0, g1, wq, sw, 1, bias);
        else
            I8_FN(groups)(y, xq, T, out, o, mo, nb, g0, g1, wq, sw, 0, bias);
    }
}

/* y1 = x W1^T (+ bias) and, when w2, y2 = x W2^T (the same inputs): x
 * quantized once for both. */
I8_TARGET void I8_FN(mdm_matmul2_int8_avx2)(float *y1, const mdm_tensor *w1, const float *bias,
                                            float *y2, const mdm_tensor *w2, const float *x,
                                            int T, void *ws) {
    const int K = (int)w1->ne[0], nb = K / 32, groups = (T + 7) / 8;
    unsigned char *xq = align32(ws);
    unsigned char *wq = align32(xq + (size_t)groups * nb * XG8_BYTES);
    float *sw = (float *)align32(wq + (size_t)MO * K);
    mdm_quantize_x8_avx2(xq, x, T, K);
    /* spans of token groups that stay in L2 while the row tiles pass (matmul.c) */
    const size_t span_bytes = (size_t)512 * 1024, group_bytes = (size_t)nb * XG8_BYTES;
    const int span = group_bytes < span_bytes ? (int)(span_bytes / group_bytes) : 1;
    for (int g0 = 0; g0 < groups; g0 += span) {
        const int g1 = g0 + span < groups ? g0 + span : groups;
        I8_FN(span)(y1, xq, w1, bias, T, g0, g1, wq, sw);
        if (w2)
            I8_FN(span)(y2, xq, w2, NULL, T, g0, g1, wq, sw);
    }
}

/* The set's entries (dispatch.h): Q8_0/Q4_0 weights on this int8 path,
 * the others on the F32 GEMM core (avx2_gemm.c). */
void I8_FN(mdm_matmul_avx2)(float *y, const float *x, const mdm_tensor *w, const float *bias,
                            int T, void *ws) {
    if (is_int8(w))
        I8_FN(mdm_matmul2_int8_avx2)(y, w, bias, NULL, NULL, x, T, ws);
    else
        mdm_matmul_avx2(y, x, w, bias, T, ws);
}

/* Two matmuls of one x: quantized once when both weights are int8. */
void I8_FN(mdm_matmul2_avx2)(float *y1, const mdm_tensor *w1, float *y2, const mdm_tensor *w2,
                             const float *x, int T, void *ws) {
    if (is_int8(w1) && is_int8(w2)) {
        I8_FN(mdm_matmul2_int8_avx2)(y1, w1, NULL, y2, w2, x, T, ws);
    } else {
        I8_FN(mdm_matmul_avx2)(y1, x, w1, NULL, T, ws);
        I8_FN(mdm_matmul_avx2)(y2, x, w2, NULL, T, ws);
    }
}

/* dt_proj with its softplus: fused on the F32 GEMM core for float weights;
 * int8 weights run the matmul, then softplus. */
void I8_FN(mdm_matmul_softplus_avx2)(float *y, const float *x, const mdm_tensor *w,
                                     const float *bias, int T, void *ws) {
    if (is_int8(w)) {
        I8_FN(mdm_matmul_avx2)(y, x, w, bias, T, ws);
        mdm_softplus_avx2(y, (size_t)T * (size_t)w->ne[1]);
    } else {
        mdm_matmul_softplus_avx2(y, x, w, bias, T, ws);
    }
}

#undef I8_CAT2
#undef I8_CAT
#undef I8_FN
#undef I8_KEEP
#undef I8_ROWS
#undef I8_GROUPS
