/* Activations of the x86 int8 matmuls (matmul.c, avx2_int8.c) quantized
 * to int8 in blocks of 32 columns, one f32 scale each as Q8_0, and laid
 * out G tokens across the lanes of a vector (G = 16 on AVX-512, 8 on
 * AVX2): tokens x [T][K] (K a multiple of 32) -> groups of G tokens, each
 * K/32 blocks of: bytes [k4][lane][4] (token `lane`'s values 4 k4 .. 4 k4 +
 * 3), then f32 scales [lane], then int32 sums of the lane's 32 bytes.
 * Lanes past T are zero.  Per token and block: amax = max |x|, d = amax /
 * 127, q = round(x / d) (as x * (1 / d)), the scale d; all-zero blocks get
 * d = 0 and q = 0.  tests/test_quantize_x.c restates the layout in C. */
#ifndef MDM_KERNELS_X86_QUANTIZE_X_H
#define MDM_KERNELS_X86_QUANTIZE_X_H

#if defined(__x86_64__)
#define MDM_XQ16_BLOCK_BYTES 640 /* 16 tokens: 8 x 64 bytes, 16 scales, 16 sums */
#define MDM_XQ8_BLOCK_BYTES 320  /* 8 tokens: 8 x 32 bytes, 8 scales, 8 sums */

/* xq: 64-byte aligned, ((T + 15) / 16) * (K / 32) * 640 bytes. */
void mdm_quantize_x16_avx512(unsigned char *xq, const float *x, int T, int K);
/* xq: 32-byte aligned, ((T + 7) / 8) * (K / 32) * 320 bytes. */
void mdm_quantize_x8_avx2(unsigned char *xq, const float *x, int T, int K);
#endif
#endif
