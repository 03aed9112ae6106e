/* Int8 matmuls for Q8_0 and Q4_0 weights, as the CPU's int8 paths
 * (kernels/x86/matmul.c) compute them: the activations are quantized per
 * 32-block to int8 with one float scale d = amax / 127 (round to nearest
 * even, saturated), each block's integer dot product with the weight
 * block's int8 values (Q4_0: the nibble minus 8) is exact in int, and the
 * block sums are scaled by d_x * d_w into a float sum.
 *
 * The 4-byte dot product is the device's own where it has one: program.c
 * defines MDM_CL_INT_DOT=1 (cl_khr_integer_dot_product: dot(char4, char4))
 * or 2 (cl_arm_integer_dot_product_int8: arm_dot) when the device reports
 * the extension; elsewhere the same kernel runs with the portable sum of
 * four products, which gives the same integers.  So a device without the
 * extension (PoCL in CI) runs and checks this path too, by choice
 * ("opencl/int8"). */
#include "opencl/cl_source.h"

/* Preprocessor lines cannot go through CL_SOURCE: a plain string. */
const char mdm_cl_int8_dot[] =
    "#if defined(MDM_CL_INT_DOT) && MDM_CL_INT_DOT == 2\n"
    "#ifndef cl_arm_integer_dot_product_int8\n"
    "#error no cl_arm_integer_dot_product_int8 in this compiler\n"
    "#endif\n"
    "#pragma OPENCL EXTENSION cl_arm_integer_dot_product_int8 : enable\n"
    "#define IDOT4(a, b) arm_dot(a, b)\n"
    "#elif defined(MDM_CL_INT_DOT)\n"
    "#if !defined(__opencl_c_integer_dot_product_input_4x8bit) && "
    "!defined(cl_khr_integer_dot_product)\n"
    "#error no 4x8-bit integer dot product in this compiler\n"
    "#endif\n"
    "#define IDOT4(a, b) dot(a, b)\n"
    "#else\n"
    "#define IDOT4(a, b) ((int)(a).x * (b).x + (int)(a).y * (b).y + (int)(a).z * (b).z + "
    "(int)(a).w * (b).w)\n"
    "#endif\n";

const char mdm_cl_int8[] = CL_SOURCE(

/* One item per (token, block): q[t][K] bytes and d[t][K / 32] scales. */
kernel void mdm_quant_act(global const float *x, int xo, global char *q, global float *d, int T,
                          int K) {
    const int i = get_global_id(0), nb = K / 32;
    if (i >= T * nb)
        return;
    global const float *xb = x + xo + (i / nb) * K + (i % nb) * 32;
    float amax = 0.0f;
    for (int k = 0; k < 32; k++)
        amax = fmax(amax, fabs(xb[k]));
    const float dd = amax / 127.0f, id = dd != 0.0f ? 1.0f / dd : 0.0f;
    for (int k = 0; k < 32; k++)
        q[i * 32 + k] = convert_char_sat_rte(xb[k] * id);
    d[i] = dd;
}

/* Values 4 k4 .. 4 k4 + 3 of block b of a Q8_0 (type 8) or Q4_0 row, as int8. */
char4 wq4(global const uchar *row, int type, int b, int k4) {
    if (type == 8)
        return vload4(k4, (global const char *)(row + b * 34 + 2));
    const uchar4 raw = vload4(k4 & 3, row + b * 18 + 2);
    return convert_char4(k4 < 4 ? raw & (uchar)15 : raw >> (uchar)4) - (char4)8;
}

float wscale(global const uchar *row, int type, int b) {
    return vload_half(0, (global const half *)(row + b * (type == 8 ? 34 : 18)));
}

/* y[t][o] = act(sum_b isum_b(t, o) * (dx[t][b] * dw[o][b]) + bias[o]): the
 * float kernel's 64 x 64 tiles and 4 x 4 outputs per item (cl_matmul.c),
 * staging one block of 32 int8 values per token and per weight row. */
kernel void mdm_matmul_i8(global float *y, int yo, global const char *xq,
                          global const float *xd, global const uchar *wb, ulong w_off,
                          ulong row_bytes, int type, global const uchar *bb, ulong b_off,
                          int has_bias, int K, int O, int T, int act) {
    local char4 xs[64][8], ws[64][8];
    local float sx[64], sw[64];
    const int lo = get_local_id(0), lt = get_local_id(1), lid = lt * 16 + lo;
    const int o0 = get_group_id(0) * 64, t0 = get_group_id(1) * 64, nb = K / 32;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.0f;
    for (int b = 0; b < nb; b++) {
        for (int e = lid; e < 64 * 8; e += 256) {
            const int r = e / 8, k4 = e % 8;
            xs[r][k4] = t0 + r < T ? vload4(0, xq + (size_t)(t0 + r) * K + b * 32 + k4 * 4)
                                   : (char4)0;
            ws[r][k4] = o0 + r < O ? wq4(wb + w_off + (ulong)(o0 + r) * row_bytes, type, b, k4)
                                   : (char4)0;
        }
        if (lid < 64)
            sx[lid] = t0 + lid < T ? xd[(size_t)(t0 + lid) * nb + b] : 0.0f;
        else if (lid < 128)
            sw[lid - 64] = o0 + lid - 64 < O
                ? wscale(wb + w_off + (ulong)(o0 + lid - 64) * row_bytes, type, b) : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        int s[4][4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                s[i][j] = 0;
        for (int k4 = 0; k4 < 8; k4++) {
            char4 a[4], w[4];
            for (int i = 0; i < 4; i++)
                a[i] = xs[lt + 16 * i][k4], w[i] = ws[lo + 16 * i][k4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    s[i][j] += IDOT4(a[i], w[j]);
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                acc[i][j] += (float)s[i][j] * (sx[lt + 16 * i] * sw[lo + 16 * j]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            const int t = t0 + lt + 16 * i, o = o0 + lo + 16 * j;
            if (o < O && t < T)
                y[yo + t * O + o] = activate(
                    acc[i][j] + (has_bias ? ((global const float *)(bb + b_off))[o] : 0.0f), act);
        }
}

);
