/* One Mamba-1 block (spec §3), in the order the spec lists the steps:
 * in_proj -> causal conv1d -> SiLU -> x_proj -> dt_proj + softplus ->
 * selective scan -> gate with SiLU(z) -> out_proj, between a gather into
 * scan order and a scatter-add back into the residual stream. */
#include "kernels/ops.h"
#include "mamba/mamba.h"
#include <math.h>
#include <string.h>

void mdm_mamba_work_carve(mdm_arena *a, const mdm_hparams *hp, mdm_mamba_work *w) {
    const size_t S = (size_t)hp->seq_len, d = (size_t)hp->d_model, di = (size_t)hp->d_inner;
    const size_t R = (size_t)hp->dt_rank, N = (size_t)hp->d_state;
    size_t row = d > di ? d : di;
    w->u = mdm_arena_floats(a, S * d);
    w->xs = mdm_arena_floats(a, S * di);
    w->z = mdm_arena_floats(a, S * di);
    w->xc = mdm_arena_floats(a, S * di);
    w->dt_in = mdm_arena_floats(a, S * R);
    w->bc = mdm_arena_floats(a, S * 2 * N);
    w->delta = mdm_arena_floats(a, S * di);
    w->out = mdm_arena_floats(a, S * d);
    w->h = mdm_arena_floats(a, di * N);
    w->row = mdm_arena_floats(a, row > R ? row : R);
    w->ex = NULL;
}

void mdm_mamba_prepare_A(const mdm_hparams *hp, const mdm_layer *layer, float *A) {
    /* The loader guarantees A_log is F32 (spec §7: SSM parameters are never quantized). */
    const float *A_log = layer->A_log.data;
    size_t n = (size_t)hp->d_inner * (size_t)hp->d_state;
    for (size_t i = 0; i < n; i++)
        A[i] = -expf(A_log[i]);
}

mdm_tensor mdm_weight_rows(const mdm_tensor *w, int64_t first, int64_t n) {
    mdm_tensor v = *w;
    size_t rb = mdm_type_row_bytes(w->type, (size_t)w->ne[0]);
    v.data = (const unsigned char *)w->data + (size_t)first * rb;
    v.ne[1] = n;
    v.nbytes = (size_t)n * rb;
    return v;
}

/* y *= SiLU(z), elementwise. */
static void gate(const mdm_exec *ex, float *y, float *z, size_t n) {
    mdm_op_silu(ex, z, n);
    for (size_t i = 0; i < n; i++)
        y[i] *= z[i];
}

/* The mixer on u [S][d] (already in scan order) into w->out [S][d]. */
static void mixer(const mdm_hparams *hp, const mdm_layer *L, const float *A, mdm_mamba_work *w) {
    const int S = hp->seq_len, di = hp->d_inner, R = hp->dt_rank, N = hp->d_state;
    const size_t n = (size_t)S * (size_t)di;
    mdm_tensor in_x = mdm_weight_rows(&L->in_proj, 0, di), in_z = mdm_weight_rows(&L->in_proj, di, di);
    mdm_tensor dt_rows = mdm_weight_rows(&L->x_proj, 0, R), bc_rows = mdm_weight_rows(&L->x_proj, R, 2 * N);

    mdm_op_matmul(w->ex, w->xs, w->u, &in_x, NULL, S, w->row);
    mdm_op_matmul(w->ex, w->z, w->u, &in_z, NULL, S, w->row);
    mdm_op_conv1d_causal(w->ex, w->xc, w->xs, L->conv1d_w.data, L->conv1d_b.data, S, di,
                         hp->d_conv);
    mdm_op_silu(w->ex, w->xc, n);
    mdm_op_matmul(w->ex, w->dt_in, w->xc, &dt_rows, NULL, S, w->row);
    mdm_op_matmul(w->ex, w->bc, w->xc, &bc_rows, NULL, S, w->row);
    mdm_op_matmul(w->ex, w->delta, w->dt_in, &L->dt_proj_w, L->dt_proj_b.data, S, w->row);
    mdm_op_softplus(w->ex, w->delta, n);
    /* y overwrites xc in place (the kernel allows it): one buffer fewer. */
    mdm_op_selective_scan(w->ex, w->xc, w->xc, w->delta, A, w->bc, w->bc + N, 2 * N, L->D.data, S,
                          di, N, w->h);
    gate(w->ex, w->xc, w->z, n);
    mdm_op_matmul(w->ex, w->out, w->xc, &L->out_proj, NULL, S, w->row);
}

void mdm_mamba_block(const mdm_hparams *hp, const mdm_layer *layer, const float *A,
                     const int32_t *perm, float *x, mdm_mamba_work *w) {
    const int S = hp->seq_len, d = hp->d_model;
    if (w->ex) {
        mdm_mamba_block_exec(hp, layer, A, perm, x, w);
        return;
    }
    /* RMSNorm is per token, so gather first and normalise in scan order. */
    for (int k = 0; k < S; k++)
        memcpy(w->u + (size_t)k * d, x + (size_t)perm[k] * d, (size_t)d * sizeof(float));
    mdm_op_rmsnorm(w->ex, w->u, w->u, layer->norm.data, S, d, hp->norm_eps);
    mixer(hp, layer, A, w);
    for (int k = 0; k < S; k++) {
        float *dst = x + (size_t)perm[k] * d;
        const float *src = w->out + (size_t)k * d;
        for (int i = 0; i < d; i++)
            dst[i] += src[i];
    }
}
