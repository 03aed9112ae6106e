/* Weight types and ggml's block layouts (type ids match ggml/GGUF).
 * Q8_0: 32 values = f16 scale d + 32 int8;    x = d * q
 * Q4_0: 32 values = f16 scale d + 16 bytes;   x = d * (q - 8), byte j holds
 *       value j in its low nibble and value j+16 in its high nibble. */
#ifndef MDM_KERNELS_QUANT_H
#define MDM_KERNELS_QUANT_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MDM_TYPE_F32 = 0,
    MDM_TYPE_F16 = 1,
    MDM_TYPE_Q4_0 = 2,
    MDM_TYPE_Q8_0 = 8,
} mdm_type;

#define MDM_QK 32 /* values per quantization block */

typedef struct { uint16_t d; uint8_t qs[MDM_QK / 2]; } mdm_block_q4_0; /* 18 bytes */
typedef struct { uint16_t d; int8_t qs[MDM_QK]; } mdm_block_q8_0;      /* 34 bytes */

float mdm_f16_to_f32(uint16_t h);
uint16_t mdm_f32_to_f16(float f); /* round to nearest even, saturating to inf */

int mdm_type_is_valid(uint32_t type);
const char *mdm_type_name(mdm_type type);
/* Bytes of a row of n values (n must be a multiple of MDM_QK for quantized types). */
size_t mdm_type_row_bytes(mdm_type type, size_t n);

/* n must be a multiple of MDM_QK. ggml's reference rounding. */
void mdm_quantize_row_q8_0(const float *x, mdm_block_q8_0 *y, size_t n);
void mdm_quantize_row_q4_0(const float *x, mdm_block_q4_0 *y, size_t n);
void mdm_quantize_row_f16(const float *x, uint16_t *y, size_t n);
/* Any type back to f32. */
void mdm_dequantize_row(mdm_type type, const void *src, float *dst, size_t n);
#endif
