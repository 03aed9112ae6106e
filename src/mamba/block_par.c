/* The Mamba block on a kernel set and its threads (mamba.h), in four pool
 * runs per layer instead of one per op, with no serial pass between them.
 * Every step but the scan works on whole tokens, so a thread that owns a
 * range of tokens can take them through several steps without waiting for
 * the others:
 *   1. tokens:   gather into scan order with RMSNorm, in_proj (x and z halves)
 *   2. tokens:   conv1d (reads K-1 earlier tokens: after run 1 for all),
 *                SiLU, x_proj (dt and B/C), dt_proj, softplus
 *   3. channels: the selective scan (every token of a channel in order);
 *                where the set has scan_dt, dt_proj and softplus move here,
 *                per channel block, and delta never goes to memory
 *   4. tokens:   y *= SiLU(z), out_proj, scatter-add into the residual
 *                stream (perm is a permutation: the rows are disjoint)
 * Each kernel computes a token the same way wherever a range starts, so
 * the results have the bits of the one-op-per-run path for any thread count
 * and any split.  The split follows the threads' measured speeds (ex->speed,
 * updated after every layer): on the 2-core test host one core ran the same
 * work 7-15 % slower than the other, every stage, and equal shares left the
 * faster waiting at each of the 96 barriers of a step. */
#include "kernels/ops.h"
#include "mamba/mamba.h"

#define MDM_BALANCE_MAX_THREADS 64 /* more threads: equal shares */
#define BALANCE_ALIGN 4 /* shares start at multiples of 4 tokens: the narrow int8 tiles */

typedef struct {
    const mdm_hparams *hp;
    const mdm_layer *L;
    const int32_t *perm;
    float *x;
    mdm_mamba_work *w;
    mdm_tensor in_x, in_z, dt_rows, bc_rows;
    int stage;
    int scan_dt; /* the set's scan computes dt_proj and softplus (mdm_op_has_scan_dt) */
    unsigned long long busy[MDM_BALANCE_MAX_THREADS]; /* ns in the token stages, thread i */
} layer_args;

/* y[lo..hi) = x[lo..hi) W^T on thread i's workspace. */
static void mm_rows(const mdm_exec *ex, int i, float *y, const float *x, const mdm_tensor *W,
                    const float *bias, int lo, int hi) {
    ex->k->matmul(y + (size_t)lo * W->ne[1], x + (size_t)lo * W->ne[0], W, bias, hi - lo,
                  mdm_exec_ws(ex, i));
}

/* mm_rows of two weights over the same x (quantized once where the set can). */
static void mm2_rows(const mdm_exec *ex, int i, float *y1, const mdm_tensor *W1, float *y2,
                     const mdm_tensor *W2, const float *x, int lo, int hi) {
    if (!ex->k->matmul2) {
        mm_rows(ex, i, y1, x, W1, NULL, lo, hi);
        mm_rows(ex, i, y2, x, W2, NULL, lo, hi);
        return;
    }
    ex->k->matmul2(y1 + (size_t)lo * W1->ne[1], W1, y2 + (size_t)lo * W2->ne[1], W2,
                   x + (size_t)lo * W1->ne[0], hi - lo, mdm_exec_ws(ex, i));
}

/* y[i] *= z[i] and y[i] += z[i], in blocks of 8 that the compiler turns
 * into vector code at -O2 (GCC's cheap model will not add loop tails). */
static void mul_into(float *restrict y, const float *restrict z, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            y[i + j] *= z[i + j];
    for (; i < n; i++)
        y[i] *= z[i];
}

static void add_into(float *restrict y, const float *restrict z, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            y[i + j] += z[i + j];
    for (; i < n; i++)
        y[i] += z[i];
}

static void stage_in(const layer_args *a, int i, int lo, int hi) {
    const mdm_exec *ex = a->w->ex;
    const size_t d = (size_t)a->hp->d_model;
    mdm_mamba_work *w = a->w;
    /* gather into scan order and normalise in one pass (RMSNorm is per token) */
    for (int k = lo; k < hi; k++) {
        /* rows come in scan order, scattered over x: ask for a later row early */
        if (k + 2 < hi)
            for (size_t e = 0; e < d; e += 16)
                __builtin_prefetch(a->x + (size_t)a->perm[k + 2] * d + e);
        ex->k->rmsnorm(w->u + (size_t)k * d, a->x + (size_t)a->perm[k] * d, a->L->norm.data, 1,
                       (int)d, a->hp->norm_eps);
    }
    mm2_rows(ex, i, w->xs, &a->in_x, w->z, &a->in_z, w->u, lo, hi);
}

static void stage_proj(const layer_args *a, int i, int lo, int hi) {
    const mdm_exec *ex = a->w->ex;
    const mdm_hparams *hp = a->hp;
    const size_t di = (size_t)hp->d_inner;
    mdm_mamba_work *w = a->w;
    if (ex->k->conv1d_silu) {
        ex->k->conv1d_silu(w->xc, w->xs, a->L->conv1d_w.data, a->L->conv1d_b.data, hp->seq_len,
                           (int)di, hp->d_conv, lo, hi);
    } else {
        ex->k->conv1d(w->xc, w->xs, a->L->conv1d_w.data, a->L->conv1d_b.data, hp->seq_len,
                      (int)di, hp->d_conv, lo, hi);
        ex->k->silu(w->xc + lo * di, (size_t)(hi - lo) * di);
    }
    mm2_rows(ex, i, w->dt_in, &a->dt_rows, w->bc, &a->bc_rows, w->xc, lo, hi);
    if (a->scan_dt) /* delta comes inside the scan */
        return;
    if (ex->k->matmul_softplus) {
        ex->k->matmul_softplus(w->delta + lo * di, w->dt_in + (size_t)lo * hp->dt_rank,
                               &a->L->dt_proj_w, a->L->dt_proj_b.data, hi - lo,
                               mdm_exec_ws(ex, i));
    } else {
        mm_rows(ex, i, w->delta, w->dt_in, &a->L->dt_proj_w, a->L->dt_proj_b.data, lo, hi);
        ex->k->softplus(w->delta + lo * di, (size_t)(hi - lo) * di);
    }
}

static void stage_out(const layer_args *a, int i, int lo, int hi) {
    const mdm_exec *ex = a->w->ex;
    const size_t d = (size_t)a->hp->d_model, di = (size_t)a->hp->d_inner;
    mdm_mamba_work *w = a->w;
    float *y = w->xc + lo * di, *z = w->z + lo * di;
    const size_t n = (size_t)(hi - lo) * di;
    if (ex->k->silu_mul) {
        ex->k->silu_mul(y, z, n);
    } else {
        ex->k->silu(z, n);
        mul_into(y, z, n);
    }
    mm_rows(ex, i, w->out, w->xc, &a->L->out_proj, NULL, lo, hi);
    for (int k = lo; k < hi; k++)
        add_into(a->x + (size_t)a->perm[k] * d, w->out + (size_t)k * d, d);
}

/* Whether a run of n threads measures its speeds (every pool thread, a
 * speed each, within the busy array). */
static int measures(const mdm_exec *ex, int n) {
    return ex->speed && n == ex->n_threads && n <= MDM_BALANCE_MAX_THREADS;
}

/* After a layer: each thread's tokens per ns in its token stages, scaled
 * to a mean of 1, folded into ex->speed with weight 1/4 (one layer's
 * measure varies by some 10 % on a quiet host: the split follows a core
 * that stays slower, not each layer's noise), kept within 4x of the mean
 * so that no thread's share vanishes on one bad measure. */
static void balance_update(const mdm_exec *ex, const layer_args *a) {
    const int n = ex->n_threads;
    double r[MDM_BALANCE_MAX_THREADS], mean = 0;
    for (int i = 0; i < n; i++) { /* the shares the layer ran, from the speeds before */
        int lo, hi;
        mdm_exec_share(ex, a->hp->seq_len, BALANCE_ALIGN, i, n, &lo, &hi);
        const int tokens = hi - lo;
        if (tokens <= 0 || a->busy[i] == 0)
            return; /* an idle thread or no clock: nothing measured */
        r[i] = (double)tokens / (double)a->busy[i];
        mean += r[i] / n;
    }
    for (int i = 0; i < n; i++) {
        double v = 0.75 * ex->speed[i] + 0.25 * r[i] / mean;
        ex->speed[i] = (float)(v < 0.25 ? 0.25 : v > 4.0 ? 4.0 : v);
    }
}

/* A share of more than two chunks (ops.h: MDM_STAGE_CHUNK) goes through
 * the stage a chunk at a time; chunks start at multiples of 16 tokens from
 * the share's start, so every kernel computes each token as it would whole. */
static void layer_task(void *v, int i, int n) {
    layer_args *a = v;
    const mdm_exec *ex = a->w->ex;
    const int own = measures(ex, n);
    int lo, hi;
    mdm_exec_share(ex, a->hp->seq_len, BALANCE_ALIGN, i, n, &lo, &hi);
    const unsigned long long t_start = own ? mdm_port_now_ns() : 0;
    const int chunk = ex->stage_chunk / 16 * 16;
    const int step = chunk > 0 && hi - lo > 2 * chunk ? chunk : hi - lo;
    for (int c0 = lo; c0 < hi; c0 += step) {
        const int c1 = hi - c0 > step ? c0 + step : hi;
        if (a->stage == 1)
            stage_in(a, i, c0, c1);
        else if (a->stage == 2)
            stage_proj(a, i, c0, c1);
        else
            stage_out(a, i, c0, c1);
    }
    if (own)
        a->busy[i] += mdm_port_now_ns() - t_start;
}

void mdm_mamba_block_exec(const mdm_hparams *hp, const mdm_layer *L, const float *A,
                          const int32_t *perm, float *x, mdm_mamba_work *w) {
    const int S = hp->seq_len, d = hp->d_model, di = hp->d_inner, R = hp->dt_rank;
    const int N = hp->d_state;
    layer_args a = {.hp = hp,
                    .L = L,
                    .perm = perm,
                    .x = x,
                    .w = w,
                    .in_x = mdm_weight_rows(&L->in_proj, 0, di),
                    .in_z = mdm_weight_rows(&L->in_proj, di, di),
                    .dt_rows = mdm_weight_rows(&L->x_proj, 0, R),
                    .bc_rows = mdm_weight_rows(&L->x_proj, R, 2 * N),
                    .scan_dt = L->dt_proj_w.type == MDM_TYPE_F32 &&
                               mdm_op_has_scan_dt(w->ex, R, N)};
    const long shares = (S + 15) / 16;
    const double macs = (double)S * d * 2 * di; /* in_proj; the other runs are alike */
    a.stage = 1;
    mdm_exec_run(w->ex, layer_task, &a, shares, macs);
    a.stage = 2;
    mdm_exec_run(w->ex, layer_task, &a, shares, (double)S * di * (R + 2 * N) * 2);
    /* y overwrites xc in place (the kernel allows it): one buffer fewer. */
    if (a.scan_dt)
        mdm_op_selective_scan_dt(w->ex, w->xc, w->xc, w->dt_in, R, L->dt_proj_w.data,
                                 L->dt_proj_b.data, A, w->bc, w->bc + N, 2 * N, L->D.data, S, di,
                                 N, w->h);
    else
        mdm_op_selective_scan(w->ex, w->xc, w->xc, w->delta, A, w->bc, w->bc + N, 2 * N,
                              L->D.data, S, di, N, w->h);
    a.stage = 3;
    mdm_exec_run(w->ex, layer_task, &a, shares, (double)S * di * d);
    if (measures(w->ex, w->ex->n_threads))
        balance_update(w->ex, &a);
}
