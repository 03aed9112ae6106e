/* The VAE's kernels on [C][H][W] maps. */
#include "opencl/cl_source.h"

const char mdm_cl_vae[] = CL_SOURCE(

/* 3x3, zero padding 1, stride 1 or 2.  A work-group of 8x8x4 computes an
 * 8x8 output tile of 4 output channels; per chunk of 16 input channels it
 * stages the input patch the tile reads and the 4 weight rows' slices
 * (decoded once, from any type) in local memory.  Each output's sum starts
 * at the bias and runs over (c, ky, kx), skipping the padding, as the
 * reference's does; `act` then applies to the result. */
kernel void mdm_conv2d(global float *y, global const float *x, global const uchar *wb,
                       ulong w_off, ulong row_bytes, int type, ulong b_off, int ci, int co, int h,
                       int w, int stride, int act) {
    local float xs[16 * 17 * 17];
    local float ws[4][16 * 9];
    const int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
    const int lx = get_local_id(0), ly = get_local_id(1), lz = get_local_id(2);
    const int ox = get_global_id(0), oy = get_global_id(1), o = get_global_id(2);
    const int lid = (lz * 8 + ly) * 8 + lx, span = 7 * stride + 3;
    const int iy0 = get_group_id(1) * 8 * stride - 1, ix0 = get_group_id(0) * 8 * stride - 1;
    const int live = ox < ow && oy < oh && o < co;
    float acc = live ? ((global const float *)(wb + b_off))[o] : 0.0f;
    for (int c0 = 0; c0 < ci; c0 += 16) {
        const int nc = min(16, ci - c0);
        for (int e = lid; e < nc * span * span; e += 256) {
            const int c = e / (span * span), r = e % (span * span);
            const int yy = iy0 + r / span, xx = ix0 + r % span;
            xs[e] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? x[((c0 + c) * h + yy) * w + xx]
                                                             : 0.0f;
        }
        for (int e = lid; e < 4 * nc * 9; e += 256) {
            const int oz = e / (nc * 9), k = e % (nc * 9), oo = get_group_id(2) * 4 + oz;
            ws[oz][k] = oo < co ? wval(wb + w_off + (ulong)oo * row_bytes, type, c0 * 9 + k) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live)
            for (int c = 0; c < nc; c++)
                for (int ky = 0; ky < 3; ky++) {
                    const int iy = oy * stride - 1 + ky;
                    if (iy < 0 || iy >= h)
                        continue;
                    for (int kx = 0; kx < 3; kx++) {
                        const int ix = ox * stride - 1 + kx;
                        if (ix >= 0 && ix < w)
                            acc += ws[lz][c * 9 + ky * 3 + kx] *
                                   xs[(c * span + ly * stride + ky) * span + lx * stride + kx];
                    }
                }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (live)
        y[(o * oh + oy) * ow + ox] = activate(acc, act);
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
