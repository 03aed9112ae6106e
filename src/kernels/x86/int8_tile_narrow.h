/* The AVX-512 int8 tile (matmul.c) on the low 8 or 4 lanes of a token
 * group, for a sequence's ragged end: included by matmul.c once per width
 * with NARROW_FN (the function's name), NARROW_P(name) (the intrinsic
 * prefix: _mm256_name or _mm_name), NARROW_LOAD_SI and NARROW_ZERO_SI (the
 * integer load and zero), NARROW_VI / NARROW_VF (the vector types) and
 * NARROW_ZEXT (the widening to 512 bits) defined; it undefines them.  The sums are
 * int8_tile's, lane for lane: the same bits. */
MDM_AVX512_INLINE void NARROW_FN(float *y, int ldy, int n_tok, const unsigned char *xg,
                                 const unsigned char *wq, const float *sw, int nb, int shift,
                                 const float *bias) {
    NARROW_VF acc[MO];
#pragma GCC unroll 16
    for (int r = 0; r < MO; r++)
        acc[r] = NARROW_P(setzero_ps)();
    for (int b = 0; b < nb; b++, xg += XG_BYTES) {
        NARROW_VI xv[8];
#pragma GCC unroll 8
        for (int k4 = 0; k4 < 8; k4++)
            xv[k4] = NARROW_LOAD_SI((const void *)(xg + k4 * 64));
        const NARROW_VF sx = NARROW_P(load_ps)((const float *)(xg + 512));
        const NARROW_VI sums = NARROW_LOAD_SI((const void *)(xg + 576));
        const NARROW_VI off = NARROW_P(sll_epi32)(sums, _mm_cvtsi32_si128(shift));
        const NARROW_VI init = NARROW_P(sub_epi32)(NARROW_ZERO_SI(), off);
#pragma GCC unroll 16
        for (int r = 0; r < MO; r++) {
            const i32_load *wb = (const i32_load *)(wq + ((size_t)b * MO + r) * 32);
            NARROW_VI s = init, s1 = NARROW_ZERO_SI();
#pragma GCC unroll 4
            for (int k4 = 0; k4 < 4; k4++) {
                s = NARROW_P(dpbusd_epi32)(s, NARROW_P(set1_epi32)(wb[k4]), xv[k4]);
                s1 = NARROW_P(dpbusd_epi32)(s1, NARROW_P(set1_epi32)(wb[k4 + 4]), xv[k4 + 4]);
            }
            s = NARROW_P(add_epi32)(s, s1);
            const NARROW_VF wscale = NARROW_P(set1_ps)(sw[(size_t)b * MO + r]);
            const NARROW_VF scale = NARROW_P(mul_ps)(sx, wscale);
            acc[r] = NARROW_P(fmadd_ps)(NARROW_P(cvtepi32_ps)(s), scale, acc[r]);
        }
    }
    __m512 a[MO];
#pragma GCC unroll 16
    for (int r = 0; r < MO; r++)
        a[r] = NARROW_ZEXT(acc[r]);
    store_16x16(y, ldy, n_tok, a, bias);
}
#undef NARROW_FN
#undef NARROW_P
#undef NARROW_LOAD_SI
#undef NARROW_ZERO_SI
#undef NARROW_VI
#undef NARROW_VF
#undef NARROW_ZEXT
