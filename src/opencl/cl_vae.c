/* The VAE's kernels on [C][H][W] maps. */
#include "opencl/cl_source.h"

const char mdm_cl_vae[] = CL_SOURCE(

/* 3x3, zero padding 1, stride 1 or 2, one item per output (ox, oy, o);
 * the sum starts at the bias and runs over (c, ky, kx) as the reference.
 * Weight row o holds [ci][3][3] in any type, decoded in registers. */
kernel void mdm_conv2d(global float *y, global const float *x, global const uchar *wb,
                       ulong w_off, ulong row_bytes, int type, ulong b_off, int ci, int co, int h,
                       int w, int stride) {
    const int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
    const int ox = get_global_id(0), oy = get_global_id(1), o = get_global_id(2);
    if (ox >= ow || oy >= oh || o >= co)
        return;
    global const uchar *row = wb + w_off + (ulong)o * row_bytes;
    float acc = ((global const float *)(wb + b_off))[o];
    for (int c = 0; c < ci; c++) {
        global const float *xc = x + c * h * w;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = oy * stride - 1 + ky;
            if (iy < 0 || iy >= h)
                continue;
            for (int kx = 0; kx < 3; kx++) {
                const int ix = ox * stride - 1 + kx;
                if (ix >= 0 && ix < w)
                    acc += wval(row, type, c * 9 + ky * 3 + kx) * xc[iy * w + ix];
            }
        }
    }
    y[(o * oh + oy) * ow + ox] = acc;
}

/* GroupNorm: one work-group of 256 per group; mean, then the biased
 * variance about it (two passes, as the reference), each a tree sum. */
kernel void mdm_groupnorm(global float *y, global const float *x, global const uchar *wb,
                          ulong g_off, ulong b_off, int cg, int hw, float eps) {
    local float part[256];
    const int g = get_group_id(0), l = get_local_id(0), n = cg * hw;
    global const float *xg = x + g * n;
    float s = 0.0f;
    for (int i = l; i < n; i += 256)
        s += xg[i];
    part[l] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = 128; k > 0; k >>= 1) {
        if (l < k)
            part[l] += part[l + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float mean = part[0] / (float)n;
    barrier(CLK_LOCAL_MEM_FENCE);
    s = 0.0f;
    for (int i = l; i < n; i += 256)
        s += (xg[i] - mean) * (xg[i] - mean);
    part[l] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = 128; k > 0; k >>= 1) {
        if (l < k)
            part[l] += part[l + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = 1.0f / sqrt(part[0] / (float)n + eps);
    global const float *gamma = (global const float *)(wb + g_off);
    global const float *beta = (global const float *)(wb + b_off);
    for (int i = l; i < n; i += 256) {
        const int ch = g * cg + i / hw;
        y[g * n + i] = (xg[i] - mean) * r * gamma[ch] + beta[ch];
    }
}

/* Nearest x2: one item per output. */
kernel void mdm_upsample(global float *y, global const float *x, int c, int h, int w) {
    const int ox = get_global_id(0), oy = get_global_id(1), ch = get_global_id(2);
    if (ox < 2 * w && oy < 2 * h && ch < c)
        y[(ch * 2 * h + oy) * 2 * w + ox] = x[(ch * h + oy / 2) * w + ox / 2];
}

/* y += x (the residual block's sum). */
kernel void mdm_add(global float *y, global const float *x, int n) {
    const int i = get_global_id(0);
    if (i < n)
        y[i] += x[i];
}

);
