/* The denoiser's kernels other than the matmul.  Float arguments are a
 * buffer and an offset in floats; model tensors (norm weights, conv1d
 * taps, biases, D) are a byte offset into the model's buffer `wb`.
 * Each element is computed in the reference kernel's operation order
 * (src/kernels/ref/), so only the sums differ (rmsnorm's tree reduction). */
#include "opencl/cl_source.h"

const char mdm_cl_mamba[] = CL_SOURCE(

/* One work-group of 64 per row: partial sums of squares, a tree in local
 * memory, then y = x * r * w (every item writes what it read: y may alias x). */
kernel void mdm_rmsnorm(global float *y, int yo, global const float *x, int xo,
                        global const uchar *wb, ulong w_off, int d, float eps) {
    local float part[64];
    const int t = get_group_id(0), l = get_local_id(0);
    global const float *xt = x + xo + t * d;
    global const float *w = (global const float *)(wb + w_off);
    float ss = 0.0f;
    for (int i = l; i < d; i += 64)
        ss += xt[i] * xt[i];
    part[l] = ss;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = 32; s > 0; s >>= 1) {
        if (l < s)
            part[l] += part[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = 1.0f / sqrt(part[0] / (float)d + eps);
    for (int i = l; i < d; i += 64)
        y[yo + t * d + i] = xt[i] * r * w[i];
}

/* Causal depthwise conv1d: one item per (channel, token), then `act`. */
kernel void mdm_conv1d(global float *y, int yo, global const float *x, int xo,
                       global const uchar *wb, ulong w_off, ulong b_off, int T, int di, int K,
                       int act) {
    const int c = get_global_id(0), t = get_global_id(1);
    if (c >= di || t >= T)
        return;
    global const float *w = (global const float *)(wb + w_off);
    float acc = ((global const float *)(wb + b_off))[c];
    for (int k = 0; k < K; k++) {
        const int s = t - K + 1 + k;
        if (s >= 0)
            acc += w[c * K + k] * x[xo + s * di + c];
    }
    y[yo + t * di + c] = activate(acc, act);
}

/* Selective scan, parallel over channels and states: item (n, c) keeps
 * state h[c][n] in a register across the T steps; per step the N products
 * h*C meet in local memory and item n == 0 sums them in n order. */
kernel void mdm_scan(global float *y, int yo, global const float *x, int xo,
                     global const float *delta, int dlo, global const float *A, int ao,
                     global const float *bc, int bco, int ld_bc, global const uchar *wb,
                     ulong D_off, int T, int di, int N, local float *red) {
    const int n = get_local_id(0), lc = get_local_id(1), c = get_global_id(1);
    const int live = c < di;
    const float a = live ? A[ao + c * N + n] : 0.0f;
    const float Dc = live ? ((global const float *)(wb + D_off))[c] : 0.0f;
    float h = 0.0f;
    for (int t = 0; t < T; t++) {
        float xv = 0.0f;
        if (live) {
            const float dt = delta[dlo + t * di + c];
            xv = x[xo + t * di + c];
            h = exp(dt * a) * h + dt * bc[bco + t * ld_bc + n] * xv;
            red[lc * N + n] = h * bc[bco + t * ld_bc + N + n];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live && n == 0) {
            float acc = 0.0f;
            for (int k = 0; k < N; k++)
                acc += red[lc * N + k];
            y[yo + t * di + c] = acc + xv * Dc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* Elementwise, in place: op 0 SiLU, 1 softplus (torch's threshold 20). */
kernel void mdm_act(global float *x, int xo, int n, int op) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const float v = x[xo + i];
    x[xo + i] = activate(v, op);
}

/* y *= SiLU(z), as the block's gate (z is overwritten by SiLU(z), as on the CPU). */
kernel void mdm_gate(global float *y, int yo, global float *z, int zo, int n) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const float v = z[zo + i];
    const float s = v / (1.0f + exp(-v));
    z[zo + i] = s;
    y[yo + i] *= s;
}

/* u[k] = x[perm[k]] (rows of d): the gather into scan order. */
kernel void mdm_gather(global float *u, global const float *x, global const int *perm, int po,
                       int d, int S) {
    const int i = get_global_id(0), k = get_global_id(1);
    if (i < d && k < S)
        u[k * d + i] = x[perm[po + k] * d + i];
}

/* x[perm[k]] += out[k]: the scatter-add back into the residual stream. */
kernel void mdm_scatter_add(global float *x, global const float *out, global const int *perm,
                            int po, int d, int S) {
    const int i = get_global_id(0), k = get_global_id(1);
    if (i < d && k < S)
        x[perm[po + k] * d + i] += out[k * d + i];
}

/* The task token and the text tokens of the sequence (spec §2): row 2 is
 * task_embed[task]; row 3+i is text_embed[tok[i]] + text_pos[i].  The
 * tables are F32 (the loader checks). */
kernel void mdm_embed_text(global float *x, global const int *io, int task_at, int tok_at,
                           global const uchar *wb, ulong task_off, ulong text_off, ulong pos_off,
                           int d, int Lt) {
    const int i = get_global_id(0), r = get_global_id(1);
    if (i >= d || r > Lt)
        return;
    global const float *task = (global const float *)(wb + task_off);
    global const float *text = (global const float *)(wb + text_off);
    global const float *pos = (global const float *)(wb + pos_off);
    if (r == 0)
        x[2 * d + i] = task[io[task_at] * d + i];
    else
        x[(2 + r) * d + i] = text[io[tok_at + r - 1] * d + i] + pos[(r - 1) * d + i];
}

/* Patches [G*G][c*p*p] <-> latent [c][G*p][G*p] (denoiser.c's patch_offset):
 * dir 0 patchify (latent -> patches), 1 unpatchify. */
kernel void mdm_patch(global float *patches, global float *latent, int lo, int p, int G, int c,
                      int dir) {
    const int k = get_global_id(0), pd = c * p * p, n = G * G * pd;
    if (k >= n)
        return;
    const int j = k / pd, e = k % pd, ch = e / (p * p), pr = e / p % p, pc = e % p;
    const int side = G * p;
    const int off = (ch * side + j / G * p + pr) * side + j % G * p + pc;
    if (dir == 0)
        patches[k] = latent[lo + off];
    else
        latent[lo + off] = patches[k];
}

/* y[r] += table[r] for rows of d floats (the image positions). */
kernel void mdm_add_rows(global float *y, int yo, global const uchar *wb, ulong t_off, int n) {
    const int i = get_global_id(0);
    if (i < n)
        y[yo + i] += ((global const float *)(wb + t_off))[i];
}

);
