/* Weight values as the kernels read them: one value k of a weight row of
 * any stored type (kernels/quant.h), decoded in registers.  Quantized
 * blocks are never expanded to F32 in memory.  d * q is exact in float (an
 * 11-bit f16 mantissa times an 8-bit integer), so a decoded weight has the
 * same bits as mdm_dequantize_row's. */
#include "opencl/cl_source.h"

const char mdm_cl_common[] = CL_SOURCE(

/* The activations, as the reference writes them (act 0: none, 1: SiLU,
 * 2: softplus with torch's threshold); kernels apply them to their results
 * so that a step needs fewer launches, with the same arithmetic. */
float activate(float v, int act) {
    if (act == 1)
        return v / (1.0f + exp(-v));
    if (act == 2)
        return v > 20.0f ? v : log1p(exp(v));
    return v;
}

/* Type ids as in ggml: 0 F32, 1 F16, 2 Q4_0, 8 Q8_0. */
float wval(global const uchar *row, int type, int k) {
    if (type == 0)
        return ((global const float *)row)[k];
    if (type == 1)
        return vload_half(k, (global const half *)row);
    if (type == 8) {
        global const uchar *blk = row + (k / 32) * 34;
        return vload_half(0, (global const half *)blk) * (float)((global const char *)blk)[2 + k % 32];
    }
    global const uchar *blk = row + (k / 32) * 18;
    int j = k % 32, b = blk[2 + (j & 15)];
    int q = j < 16 ? (b & 15) : (b >> 4);
    return vload_half(0, (global const half *)blk) * (float)(q - 8);
}

);
