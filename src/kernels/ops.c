/* Kernel calls split over a context's threads (ops.h).  Each op packs its
 * arguments, and every thread takes one contiguous share: a range of
 * tokens, channels or elements whose bounds are multiples of `align`, so
 * SIMD blocks fall the same way whatever the thread count. */
#include "kernels/ops.h"
#include <string.h>

/* ---- planning ------------------------------------------------------------ */

static int imax(int a, int b) { return a > b ? a : b; }

void mdm_exec_need(const mdm_model *m, int *T, int *K, int *conv_k, int *conv_co, int *N) {
    const mdm_hparams *hp = &m->hp;
    *T = imax(hp->seq_len, 1);
    *K = imax(imax(imax(hp->d_model, hp->d_inner), imax(256 /* time features */, hp->patch_dim)),
              hp->dt_rank);
    int ck = 9, co = 1;
    const mdm_vae_stack *st[2] = {&m->vae_enc, &m->vae_dec};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < st[s]->n_blocks; i++) {
            ck = imax(ck, st[s]->blocks[i].ci * 9);
            co = imax(co, st[s]->blocks[i].co);
        }
    *conv_k = ck;
    *conv_co = co;
    *N = imax(hp->d_state, 1);
}

void mdm_exec_carve(mdm_arena *a, const mdm_model *m, const mdm_kernels *k, int n_threads,
                    mdm_exec *ex) {
    int T, K, ck, co, N;
    mdm_exec_need(m, &T, &K, &ck, &co, &N);
    memset(ex, 0, sizeof *ex);
    ex->k = k;
    ex->n_threads = n_threads;
    ex->ws_stride = k->ws_bytes ? k->ws_bytes(T, K, ck, co, N)
                                : mdm_kernels_ws_bytes(T, K, ck, co, N);
    ex->ws = mdm_arena_persist(a, ex->ws_stride * (size_t)n_threads);
    ex->min_parallel_work = MDM_MIN_PARALLEL_WORK;
    ex->stage_chunk = MDM_STAGE_CHUNK;
    if (n_threads > 1 && (ex->speed = mdm_arena_persist_floats(a, (size_t)n_threads)))
        for (int i = 0; i < n_threads; i++)
            ex->speed[i] = 1.0f; /* equal shares until measured */
}

/* ---- splitting ----------------------------------------------------------- */

/* Share i of n of [0, total), bounds rounded to multiples of align. */
static void share(int total, int align, int i, int n, int *lo, int *hi) {
    long units = ((long)total + align - 1) / align;
    long a = units * i / n, b = units * (i + 1) / n;
    *lo = (int)(a * align < total ? a * align : total);
    *hi = (int)(b * align < total ? b * align : total);
}

static void *ws_of(const mdm_exec *ex, int i) { return ex->ws + (size_t)i * ex->ws_stride; }

/* Bound j of n shares of [0, total): the multiple of align nearest to total
 * times the speeds of threads 0..j-1 over all n (equal speeds without
 * measures), capped at total; bound(n) = total. */
static int speed_bound(const mdm_exec *ex, int total, int align, int j, int n) {
    if (j >= n)
        return total;
    const int measured = ex->speed && n == ex->n_threads;
    double all = 0, before = 0;
    for (int k = 0; k < n; k++) {
        const double s = measured ? ex->speed[k] : 1.0;
        all += s;
        before += k < j ? s : 0;
    }
    const long b = (long)((double)total * before / all / align + 0.5) * align;
    return b < total ? (int)b : total;
}

void mdm_exec_share(const mdm_exec *ex, int total, int align, int i, int n, int *lo, int *hi) {
    *lo = speed_bound(ex, total, align, i, n);
    *hi = speed_bound(ex, total, align, i + 1, n);
}

void *mdm_exec_ws(const mdm_exec *ex, int i) { return ws_of(ex, i); }

/* Runs fn on the pool when there are at least two shares and enough work,
 * else on the caller alone (the same bits either way). */
static void run(const mdm_exec *ex, mdm_port_task fn, void *arg, long shares, double work) {
    if (ex->n_threads > 1 && ex->pool && shares >= 2 && work >= ex->min_parallel_work)
        mdm_port_pool_run(ex->pool, fn, arg);
    else
        fn(arg, 0, 1);
}

void mdm_exec_run(const mdm_exec *ex, mdm_port_task fn, void *arg, long shares, double work) {
    run(ex, fn, arg, shares, work);
}

/* ---- matmul: tokens ------------------------------------------------------ */

typedef struct {
    const mdm_exec *ex;
    float *y;
    const float *x;
    const mdm_tensor *w;
    const float *bias;
    int T;
} mm_args;

static void mm_task(void *v, int i, int n) {
    const mm_args *a = v;
    int lo, hi;
    share(a->T, 16, i, n, &lo, &hi);
    if (hi > lo)
        a->ex->k->matmul(a->y + (size_t)lo * a->w->ne[1], a->x + (size_t)lo * a->w->ne[0], a->w,
                         a->bias, hi - lo, ws_of(a->ex, i));
}

void mdm_op_matmul(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                   const float *bias, int T, float *scratch) {
    if (!ex) {
        mdm_matmul(y, x, w, bias, T, scratch);
        return;
    }
    mm_args a = {ex, y, x, w, bias, T};
    run(ex, mm_task, &a, T / 16, (double)T * (double)w->ne[0] * (double)w->ne[1]);
}

/* ---- per-token and elementwise ops -------------------------------------- */

typedef struct {
    const mdm_exec *ex;
    float *y;
    const float *x, *w, *b;
    int T, d, K;
    float eps;
    int op; /* 0 rmsnorm, 1 conv1d (c1_task), 2 silu, 3 softplus */
    size_t n;
} ew_args;

static void ew_task(void *v, int i, int n) {
    const ew_args *a = v;
    const mdm_kernels *k = a->ex->k;
    int lo, hi;
    if (a->op >= 2) { /* elements, in units of 64 */
        size_t units = (a->n + 63) / 64, u0 = units * (size_t)i / (size_t)n,
               u1 = units * (size_t)(i + 1) / (size_t)n;
        size_t e0 = u0 * 64 < a->n ? u0 * 64 : a->n, e1 = u1 * 64 < a->n ? u1 * 64 : a->n;
        if (e1 > e0)
            (a->op == 2 ? k->silu : k->softplus)(a->y + e0, e1 - e0);
        return;
    }
    share(a->T, 1, i, n, &lo, &hi);
    if (hi <= lo)
        return;
    k->rmsnorm(a->y + (size_t)lo * a->d, a->x + (size_t)lo * a->d, a->w, hi - lo, a->d, a->eps);
}

void mdm_op_rmsnorm(const mdm_exec *ex, float *y, const float *x, const float *w, int T, int d,
                    float eps) {
    if (!ex) {
        mdm_rmsnorm(y, x, w, T, d, eps);
        return;
    }
    ew_args a = {.ex = ex, .y = y, .x = x, .w = w, .T = T, .d = d, .eps = eps, .op = 0};
    run(ex, ew_task, &a, T, 4.0 * T * d);
}

void mdm_op_silu(const mdm_exec *ex, float *x, size_t n) {
    if (!ex) {
        mdm_silu(x, n);
        return;
    }
    ew_args a = {.ex = ex, .y = x, .n = n, .op = 2};
    run(ex, ew_task, &a, (long)(n / 64), 16.0 * (double)n);
}

void mdm_op_softplus(const mdm_exec *ex, float *x, size_t n) {
    if (!ex) {
        mdm_softplus(x, n);
        return;
    }
    ew_args a = {.ex = ex, .y = x, .n = n, .op = 3};
    run(ex, ew_task, &a, (long)(n / 64), 16.0 * (double)n);
}

/* conv1d over tokens: each share writes its own outputs and reads the
 * K-1 tokens before it, which the kernel takes from the whole x. */
static void c1_task(void *v, int i, int n) {
    const ew_args *a = v;
    int lo, hi;
    share(a->T, 1, i, n, &lo, &hi);
    if (hi > lo)
        a->ex->k->conv1d(a->y, a->x, a->w, a->b, a->T, a->d, a->K, lo, hi);
}

void mdm_op_conv1d_causal(const mdm_exec *ex, float *y, const float *x, const float *w,
                          const float *b, int T, int di, int K) {
    if (!ex) {
        mdm_conv1d_causal(y, x, w, b, T, di, K);
        return;
    }
    ew_args a = {.ex = ex, .y = y, .x = x, .w = w, .b = b, .T = T, .d = di, .K = K, .op = 1};
    run(ex, c1_task, &a, T, (double)T * di * K);
}

/* ---- scan: channels ------------------------------------------------------ */

typedef struct {
    const mdm_exec *ex;
    float *y;
    const float *x, *delta, *A, *B, *C, *D;
    int ld_bc, T, di, N;
    float *h;
    const float *dt, *W, *bias; /* scan_dt: delta from dt_proj as it goes */
    int R;
} scan_args;

static void scan_task(void *v, int i, int n) {
    const scan_args *a = v;
    int lo, hi;
    mdm_exec_share(a->ex, a->di, MDM_SCAN_CHUNK, i, n, &lo, &hi); /* by measured speed */
    if (hi <= lo)
        return;
    if (a->dt)
        a->ex->k->scan_dt(a->y, a->x, a->dt, a->R, a->W, a->bias, a->A, a->B, a->C, a->ld_bc,
                          a->D, a->T, a->di, a->N, a->h, lo, hi);
    else
        a->ex->k->scan(a->y, a->x, a->delta, a->A, a->B, a->C, a->ld_bc, a->D, a->T, a->di, a->N,
                       a->h, lo, hi);
}

void mdm_op_selective_scan(const mdm_exec *ex, float *y, const float *x, const float *delta,
                           const float *A, const float *B, const float *C, int ld_bc,
                           const float *D, int T, int di, int N, float *h) {
    if (!ex) {
        mdm_selective_scan(y, x, delta, A, B, C, ld_bc, D, T, di, N, h);
        return;
    }
    scan_args a = {ex, y, x, delta, A, B, C, D, ld_bc, T, di, N, h, NULL, NULL, NULL, 0};
    run(ex, scan_task, &a, di / MDM_SCAN_CHUNK, 8.0 * T * di * N);
}

int mdm_op_has_scan_dt(const mdm_exec *ex, int R, int N) {
    return ex && ex->k->scan_dt && R <= MDM_SCAN_DT_MAX_R && N <= MDM_SCAN_DT_MAX_N;
}

void mdm_op_selective_scan_dt(const mdm_exec *ex, float *y, const float *x, const float *dt,
                              int R, const float *W, const float *bias, const float *A,
                              const float *B, const float *C, int ld_bc, const float *D, int T,
                              int di, int N, float *h) {
    scan_args a = {ex, y, x, NULL, A, B, C, D, ld_bc, T, di, N, h, dt, W, bias, R};
    run(ex, scan_task, &a, di / MDM_SCAN_CHUNK, (8.0 * N + 2.0 * R) * T * di);
}

/* ---- VAE ops: output channels or groups ---------------------------------- */

typedef struct {
    const mdm_exec *ex;
    float *y;
    const float *x;
    const mdm_tensor *w;
    const float *b, *beta;
    int ci, co, h, wd, stride, groups;
    float eps;
    int op; /* 0 conv2d, 1 upsample, 2 groupnorm */
    int oy0, oy1; /* conv2d: the output rows to compute */
} vae_args;

static void vae_task(void *v, int i, int n) {
    const vae_args *a = v;
    const mdm_kernels *k = a->ex->k;
    const size_t hw = (size_t)a->h * a->wd;
    int lo, hi;
    if (a->op == 0) { /* output rows: each thread builds the patches of its own rows */
        share(a->oy1 - a->oy0, 1, i, n, &lo, &hi);
        lo += a->oy0, hi += a->oy0;
        if (hi > lo)
            k->conv2d(a->y, a->x, a->w, a->b, a->ci, a->co, a->h, a->wd, a->stride,
                      ws_of(a->ex, i), lo, hi);
    } else if (a->op == 1) {
        share(a->ci, 1, i, n, &lo, &hi);
        if (hi > lo)
            k->upsample(a->y + (size_t)lo * 4 * hw, a->x + (size_t)lo * hw, hi - lo, a->h, a->wd);
    } else {
        const int cg = a->ci / a->groups;
        share(a->groups, 1, i, n, &lo, &hi);
        if (hi > lo)
            k->groupnorm(a->y + (size_t)lo * cg * hw, a->x + (size_t)lo * cg * hw,
                         a->b + (size_t)lo * cg, a->beta + (size_t)lo * cg, (hi - lo) * cg,
                         (int)hw, hi - lo, a->eps);
    }
}

void mdm_op_conv2d_3x3(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                       const float *b, int ci, int co, int h, int w_, int stride, float *scratch) {
    if (!ex) {
        mdm_conv2d_3x3(y, x, w, b, ci, co, h, w_, stride, scratch);
        return;
    }
    mdm_op_conv2d_3x3_rows(ex, y, x, w, b, ci, co, h, w_, stride, scratch, 0,
                           (h - 1) / stride + 1);
}

void mdm_op_conv2d_3x3_rows(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                            const float *b, int ci, int co, int h, int w_, int stride,
                            float *scratch, int oy0, int oy1) {
    if (!ex) {
        mdm_conv2d_ref_range(y, x, w, b, ci, co, h, w_, stride, scratch, oy0, oy1);
        return;
    }
    vae_args a = {.ex = ex, .y = y, .x = x, .w = w, .b = b, .ci = ci, .co = co, .h = h, .wd = w_,
                  .stride = stride, .op = 0, .oy0 = oy0, .oy1 = oy1};
    run(ex, vae_task, &a, oy1 - oy0, 9.0 * ci * co * (oy1 - oy0) * ((w_ - 1) / stride + 1));
}

void mdm_op_upsample2x(const mdm_exec *ex, float *y, const float *x, int c, int h, int w) {
    if (!ex) {
        mdm_upsample2x(y, x, c, h, w);
        return;
    }
    vae_args a = {.ex = ex, .y = y, .x = x, .ci = c, .h = h, .wd = w, .op = 1};
    run(ex, vae_task, &a, c, 4.0 * c * h * w);
}

void mdm_op_groupnorm(const mdm_exec *ex, float *y, const float *x, const float *gamma,
                      const float *beta, int c, int hw, int groups, float eps) {
    if (!ex) {
        mdm_groupnorm(y, x, gamma, beta, c, hw, groups, eps);
        return;
    }
    vae_args a = {.ex = ex, .y = y, .x = x, .b = gamma, .beta = beta, .ci = c, .h = hw, .wd = 1,
                  .groups = groups, .eps = eps, .op = 2};
    run(ex, vae_task, &a, groups, 8.0 * c * hw);
}
