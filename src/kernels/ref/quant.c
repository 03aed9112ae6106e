/* Weight types: f16 conversion and ggml's reference Q8_0/Q4_0 block
 * quantization, bit-exact with ggml's quantize_row_*_ref so that files we
 * write decode the same in any GGUF reader. */
#include "kernels/quant.h"
#include <math.h>
#include <string.h>

_Static_assert(sizeof(mdm_block_q4_0) == 18, "ggml block_q4_0 is 18 bytes");
_Static_assert(sizeof(mdm_block_q8_0) == 34, "ggml block_q8_0 is 34 bytes");

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float mdm_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {
        if (mant == 0)
            return bits_f32(sign);
        /* Subnormal: shift the mantissa up to an implicit leading one. */
        uint32_t e = 113;
        while (!(mant & 0x400)) {
            mant <<= 1;
            e--;
        }
        return bits_f32(sign | e << 23 | (mant & 0x3ff) << 13);
    }
    if (exp == 31)
        return bits_f32(sign | 0x7f800000u | mant << 13);
    return bits_f32(sign | (exp + 112) << 23 | mant << 13);
}

/* Round-to-nearest-even on the bits that are dropped: shift right by s. */
static uint32_t shift_rne(uint32_t v, unsigned s) {
    uint32_t q = v >> s, rem = v & ((1u << s) - 1), half = 1u << (s - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    return q;
}

uint16_t mdm_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (uint16_t)(sign | 0x7e00 | (a >> 13 & 0x3ff));
    if (a >= 0x477ff000u) /* >= 65520 rounds past 65504: infinity */
        return (uint16_t)(sign | 0x7c00);
    if (a >= 0x38800000u) /* normal half: rebias the exponent 127 -> 15 */
        return (uint16_t)(sign | shift_rne(a - 0x38000000u, 13));
    if (a <= 0x33000000u) /* <= 2^-25: ties to even zero */
        return sign;
    /* Subnormal half, units of 2^-24: mant * 2^(exp-150+24). */
    uint32_t exp = a >> 23, mant = (a & 0x7fffff) | 0x800000;
    return (uint16_t)(sign | shift_rne(mant, 126 - exp));
}

int mdm_type_is_valid(uint32_t type) {
    return type == MDM_TYPE_F32 || type == MDM_TYPE_F16 || type == MDM_TYPE_Q4_0 ||
           type == MDM_TYPE_Q8_0;
}

const char *mdm_type_name(mdm_type type) {
    switch (type) {
    case MDM_TYPE_F32: return "f32";
    case MDM_TYPE_F16: return "f16";
    case MDM_TYPE_Q4_0: return "q4_0";
    case MDM_TYPE_Q8_0: return "q8_0";
    }
    return "unknown";
}

size_t mdm_type_row_bytes(mdm_type type, size_t n) {
    switch (type) {
    case MDM_TYPE_F32: return n * 4;
    case MDM_TYPE_F16: return n * 2;
    case MDM_TYPE_Q4_0: return n / MDM_QK * sizeof(mdm_block_q4_0);
    case MDM_TYPE_Q8_0: return n / MDM_QK * sizeof(mdm_block_q8_0);
    }
    return 0;
}

void mdm_quantize_row_q8_0(const float *x, mdm_block_q8_0 *y, size_t n) {
    for (size_t i = 0; i < n / MDM_QK; i++, x += MDM_QK) {
        float amax = 0.0f;
        for (int j = 0; j < MDM_QK; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = mdm_f32_to_f16(d);
        for (int j = 0; j < MDM_QK; j++)
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

void mdm_quantize_row_q4_0(const float *x, mdm_block_q4_0 *y, size_t n) {
    for (size_t i = 0; i < n / MDM_QK; i++, x += MDM_QK) {
        /* The signed value of largest magnitude maps to -8 exactly. */
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < MDM_QK; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = mdm_f32_to_f16(d);
        for (int j = 0; j < MDM_QK / 2; j++) {
            int lo = (int8_t)(x[j] * id + 8.5f), hi = (int8_t)(x[j + MDM_QK / 2] * id + 8.5f);
            lo = lo < 15 ? lo : 15;
            hi = hi < 15 ? hi : 15;
            y[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

void mdm_quantize_row_f16(const float *x, uint16_t *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = mdm_f32_to_f16(x[i]);
}

void mdm_dequantize_row(mdm_type type, const void *src, float *dst, size_t n) {
    switch (type) {
    case MDM_TYPE_F32:
        memcpy(dst, src, n * sizeof(float));
        return;
    case MDM_TYPE_F16: {
        const uint16_t *h = src;
        for (size_t i = 0; i < n; i++)
            dst[i] = mdm_f16_to_f32(h[i]);
        return;
    }
    case MDM_TYPE_Q8_0: {
        const mdm_block_q8_0 *b = src;
        for (size_t i = 0; i < n / MDM_QK; i++) {
            const float d = mdm_f16_to_f32(b[i].d);
            for (int j = 0; j < MDM_QK; j++)
                dst[i * MDM_QK + j] = d * (float)b[i].qs[j];
        }
        return;
    }
    case MDM_TYPE_Q4_0: {
        const mdm_block_q4_0 *b = src;
        for (size_t i = 0; i < n / MDM_QK; i++) {
            const float d = mdm_f16_to_f32(b[i].d);
            float *o = dst + i * MDM_QK;
            for (int j = 0; j < MDM_QK / 2; j++) {
                o[j] = d * (float)((b[i].qs[j] & 0x0f) - 8);
                o[j + MDM_QK / 2] = d * (float)((b[i].qs[j] >> 4) - 8);
            }
        }
        return;
    }
    }
}
