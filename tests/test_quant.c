/* Weight types: ggml's block layouts byte for byte on hand-made blocks, f16
 * rounding (exhaustive and against neighbours), and round-trip bounds. */
#include "check.h"
#include "kernels/quant.h"
#include <math.h>
#include <string.h>

static uint32_t rng_state = 12345;
static float frand(void) { /* xorshift32 in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static void q8_0_layout(void) {
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16) * 0.5f; /* amax 8 at j = 0 */
    mdm_block_q8_0 b;
    mdm_quantize_row_q8_0(x, &b, 32);
    uint8_t bytes[34];
    memcpy(bytes, &b, 34);
    uint16_t d = mdm_f32_to_f16(8.0f / 127.0f);
    CHECK(bytes[0] == (d & 0xff) && bytes[1] == (d >> 8)); /* f16 scale first, little-endian */
    CHECK(d == 0x2c08); /* 8/127 = 0.062992... -> 0x2c08 (0.0630) */
    for (int j = 0; j < 32; j++) {
        int want = (int)roundf((float)(j - 16) * 0.5f * (127.0f / 8.0f));
        CHECKF((int8_t)bytes[2 + j] == want, "q[%d] = %d, want %d", j, (int8_t)bytes[2 + j], want);
    }
    CHECK((int8_t)bytes[2] == -127 && bytes[2 + 16] == 0 && bytes[2 + 31] == 119);
    float y[32];
    mdm_dequantize_row(MDM_TYPE_Q8_0, &b, y, 32);
    CHECK(y[0] == mdm_f16_to_f32(d) * -127.0f);
    /* All-zero block: d = 0, q = 0. */
    memset(x, 0, sizeof x);
    mdm_quantize_row_q8_0(x, &b, 32);
    memcpy(bytes, &b, 34);
    for (int j = 0; j < 34; j++)
        CHECK(bytes[j] == 0);
}

static void q4_0_layout(void) {
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16); /* signed max by magnitude: -16, d = -16/-8 = 2 */
    mdm_block_q4_0 b;
    mdm_quantize_row_q4_0(x, &b, 32);
    uint8_t bytes[18];
    memcpy(bytes, &b, 18);
    CHECK(bytes[0] == 0x00 && bytes[1] == 0x40); /* f16(2.0) = 0x4000 */
    /* q[j] = min(15, trunc((j - 16) / 2 + 8.5)) = min(15, floor((j + 1) / 2)) */
    for (int j = 0; j < 16; j++) {
        int lo = (j + 1) / 2, hi = (j + 17) / 2 > 15 ? 15 : (j + 17) / 2;
        CHECKF(bytes[2 + j] == (lo | hi << 4), "byte %d = %02x, want %02x", j, bytes[2 + j],
               lo | hi << 4);
    }
    CHECK(bytes[2] == 0x80 && bytes[17] == 0xf8);
    /* Positive max: d negative, the max maps to q = 0 (value -8 * d). */
    for (int j = 0; j < 32; j++)
        x[j] = j == 5 ? 4.0f : 0.0f;
    mdm_quantize_row_q4_0(x, &b, 32);
    memcpy(bytes, &b, 18);
    CHECK(bytes[0] == 0x00 && bytes[1] == 0xb8); /* f16(-0.5) = 0xb800 */
    CHECK((bytes[2 + 5] & 0x0f) == 0 && (bytes[2] & 0x0f) == 8 && (bytes[2] >> 4) == 8);
    float y[32];
    mdm_dequantize_row(MDM_TYPE_Q4_0, &b, y, 32);
    CHECK(y[5] == 4.0f && y[0] == 0.0f && y[31] == 0.0f);
}

static void f16_exhaustive(void) {
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = mdm_f16_to_f32((uint16_t)h);
        uint16_t back = mdm_f32_to_f16(f);
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) {
            CHECKF(isnan(f) && (back & 0x7c00) == 0x7c00 && (back & 0x3ff), "NaN %04x", h);
        } else {
            CHECKF(back == h, "%04x -> %g -> %04x", h, (double)f, back);
        }
    }
    CHECK(mdm_f16_to_f32(0x3c00) == 1.0f && mdm_f16_to_f32(0x0001) == ldexpf(1, -24));
    CHECK(mdm_f16_to_f32(0x7bff) == 65504.0f && isinf(mdm_f16_to_f32(0xfc00)));
}

static void f16_rounding(void) {
    CHECK(mdm_f32_to_f16(65519.0f) == 0x7bff);
    CHECK(mdm_f32_to_f16(65520.0f) == 0x7c00); /* the tie rounds to even: infinity */
    CHECK(mdm_f32_to_f16(1e9f) == 0x7c00 && mdm_f32_to_f16(-1e9f) == 0xfc00);
    CHECK(mdm_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00);     /* tie -> even */
    CHECK(mdm_f32_to_f16(1.0f + 3 * ldexpf(1, -11)) == 0x3c02); /* tie -> even */
    CHECK(mdm_f32_to_f16(ldexpf(1, -25)) == 0x0000);            /* subnormal tie -> 0 */
    CHECK(mdm_f32_to_f16(ldexpf(3, -26)) == 0x0001);
    CHECK(mdm_f32_to_f16(ldexpf(3, -25)) == 0x0002);            /* 1.5 units -> 2 */
    CHECK(mdm_f32_to_f16(ldexpf(1, -14) - ldexpf(1, -26)) == 0x0400); /* rounds up to normal */
    CHECK(mdm_f32_to_f16(-0.0f) == 0x8000 && mdm_f32_to_f16(1e-30f) == 0);
    /* Random floats: the result is a nearest f16, ties to the even one. */
    for (int i = 0; i < 200000; i++) {
        float x = frand() * ldexpf(1.0f, (int)(frand() * 20.0f));
        uint16_t h = mdm_f32_to_f16(x);
        if (fabsf(x) >= 65520.0f) {
            CHECKF((h & 0x7fff) == 0x7c00, "%a -> %04x, want infinity", (double)x, h);
            continue;
        }
        double v = mdm_f16_to_f32(h), e = fabs((double)x - v);
        uint16_t mag = h & 0x7fff;
        double up = mag < 0x7bff ? fabs((double)x - fabs((double)mdm_f16_to_f32((uint16_t)(mag + 1))) * (x < 0 ? -1 : 1)) : INFINITY;
        double dn = mag > 0 ? fabs((double)x - fabs((double)mdm_f16_to_f32((uint16_t)(mag - 1))) * (x < 0 ? -1 : 1)) : INFINITY;
        CHECKF(e <= up && e <= dn, "%a -> %04x", (double)x, h);
        if (e == up || e == dn)
            CHECKF((h & 1) == 0, "tie %a -> odd %04x", (double)x, h);
        if (fabsf(x) >= ldexpf(1, -14))
            CHECKF(e <= ldexp(fabs((double)x), -11), "rel error of %a", (double)x);
    }
}

/* Bounds derived from the rounding: Q8_0 |x - d'q| <= d/2 + |d' - d|*|q|,
 * d' the f16 of d and |q| <= 127; Q4_0 the same with |q - 8| <= 8, except
 * the value opposite the max (x = -max) that clips to q = 15: one step. */
static void round_trip_bounds(void) {
    enum { N = 32 * 64 };
    static float x[N], y[N];
    static mdm_block_q8_0 q8[N / 32];
    static mdm_block_q4_0 q4[N / 32];
    static uint16_t h[N];
    for (int scale = -20; scale <= 12; scale += 4) {
        for (int i = 0; i < N; i++)
            x[i] = ldexpf(frand(), scale) * (i % 97 == 0 ? 10.0f : 1.0f);
        mdm_quantize_row_q8_0(x, q8, N);
        mdm_dequantize_row(MDM_TYPE_Q8_0, q8, y, N);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = fmaxf(amax, fabsf(x[b * 32 + j]));
            double d = amax / 127.0, dh = mdm_f16_to_f32(q8[b].d);
            for (int j = 0; j < 32; j++) {
                double bound = d / 2 + fabs(dh - d) * abs(q8[b].qs[j]) + 1e-6 * amax;
                double e = fabs((double)x[b * 32 + j] - y[b * 32 + j]);
                CHECKF(e <= bound, "q8_0 scale %d: %g > %g", scale, e, bound);
            }
        }
        mdm_quantize_row_q4_0(x, q4, N);
        mdm_dequantize_row(MDM_TYPE_Q4_0, q4, y, N);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++)
                if (fabsf(x[b * 32 + j]) > amax) {
                    amax = fabsf(x[b * 32 + j]);
                    max = x[b * 32 + j];
                }
            double d = max / -8.0, dh = mdm_f16_to_f32(q4[b].d);
            for (int j = 0; j < 32; j++) {
                double t = d != 0 ? x[b * 32 + j] / d + 8.5 : 8.5;
                double step = t >= 16.0 - 1e-5 ? fabs(d) : fabs(d) / 2;
                double bound = step + fabs(dh - d) * 8 + 1e-6 * amax;
                double e = fabs((double)x[b * 32 + j] - y[b * 32 + j]);
                CHECKF(e <= bound, "q4_0 scale %d: %g > %g", scale, e, bound);
            }
        }
        mdm_quantize_row_f16(x, h, N);
        mdm_dequantize_row(MDM_TYPE_F16, h, y, N);
        for (int i = 0; i < N; i++) {
            double e = fabs((double)x[i] - y[i]);
            CHECKF(e <= ldexp(fabs((double)x[i]), -11) + ldexp(1, -25), "f16 %a", (double)x[i]);
        }
    }
}

static void type_table(void) {
    CHECK(mdm_type_row_bytes(MDM_TYPE_F32, 64) == 256);
    CHECK(mdm_type_row_bytes(MDM_TYPE_F16, 64) == 128);
    CHECK(mdm_type_row_bytes(MDM_TYPE_Q8_0, 64) == 68);
    CHECK(mdm_type_row_bytes(MDM_TYPE_Q4_0, 64) == 36);
    CHECK(mdm_type_is_valid(0) && mdm_type_is_valid(1) && mdm_type_is_valid(2) &&
          mdm_type_is_valid(8));
    CHECK(!mdm_type_is_valid(3) && !mdm_type_is_valid(7) && !mdm_type_is_valid(9) &&
          !mdm_type_is_valid(0xffffffffu));
    CHECK(strcmp(mdm_type_name(MDM_TYPE_Q4_0), "q4_0") == 0);
    CHECK(strcmp(mdm_type_name(MDM_TYPE_Q8_0), "q8_0") == 0);
    float x[3] = {1, -2, 3.5f}, y[3];
    mdm_dequantize_row(MDM_TYPE_F32, x, y, 3);
    CHECK(memcmp(x, y, sizeof x) == 0);
}

int main(void) {
    RUN(q8_0_layout);
    RUN(q4_0_layout);
    RUN(f16_exhaustive);
    RUN(f16_rounding);
    RUN(round_trip_bounds);
    RUN(type_table);
    CHECK_EXIT();
}
