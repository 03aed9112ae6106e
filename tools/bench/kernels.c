/* mdm-bench-kernels: GFLOP/s (GOP/s for int8 paths) of each hot op at the
 * S preset's shapes (d 512, d_inner 1024, N 16, R 32, 323 tokens; VAE
 * 128 channels at 64x64), for the scalar set and the dispatched set on 1
 * and n threads, next to the FMA and int8 peaks measured here.
 *   mdm-bench-kernels [--threads N] [--quick]
 * tools/bench/kernels.sh runs it and numpy's F32 matmul on the same shapes. */
#include "bench.h"
#include "kernels/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_ = 323, D_ = 512, DI_ = 1024, N_ = 16, R_ = 32 };

typedef struct {
    const char *name, *shape;
    int kind;     /* 0 matmul, 1 scan, 2 silu+softplus, 3 conv2d */
    mdm_type type;
    int T, K, out; /* matmul; conv2d: T = h = w, K = ci, out = co */
} op_def;

static const op_def ops[] = {
    {"matmul f32", "in_proj 323x512 -> 2048", 0, MDM_TYPE_F32, T_, D_, 2 * DI_},
    {"matmul f32", "out_proj 323x1024 -> 512", 0, MDM_TYPE_F32, T_, DI_, D_},
    {"matmul f32", "x_proj 323x1024 -> 64", 0, MDM_TYPE_F32, T_, DI_, R_ + 2 * N_},
    {"matmul f32", "dt_proj 323x32 -> 1024", 0, MDM_TYPE_F32, T_, R_, DI_},
    {"matmul f16", "in_proj 323x512 -> 2048", 0, MDM_TYPE_F16, T_, D_, 2 * DI_},
    {"matmul q8_0", "in_proj 323x512 -> 2048", 0, MDM_TYPE_Q8_0, T_, D_, 2 * DI_},
    {"matmul q8_0", "out_proj 323x1024 -> 512", 0, MDM_TYPE_Q8_0, T_, DI_, D_},
    {"matmul q4_0", "in_proj 323x512 -> 2048", 0, MDM_TYPE_Q4_0, T_, D_, 2 * DI_},
    {"matmul q4_0", "out_proj 323x1024 -> 512", 0, MDM_TYPE_Q4_0, T_, DI_, D_},
    {"scan", "323 x 1024 ch x 16 states", 1, MDM_TYPE_F32, T_, DI_, N_},
    {"silu+softplus", "323 x 1024", 2, MDM_TYPE_F32, T_, DI_, 0},
    {"conv2d 3x3 f32", "128 -> 128 at 64x64", 3, MDM_TYPE_F32, 64, 128, 128},
    {"conv2d 3x3 q8_0", "128 -> 128 at 64x64", 3, MDM_TYPE_Q8_0, 64, 128, 128},
};
#define N_OPS (int)(sizeof ops / sizeof ops[0])

static float frand(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 8388608.0f - 1.0f;
}

static float *rnd(size_t n, float scale, unsigned seed) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = frand(&seed) * scale;
    return v;
}

static void *weight(mdm_type type, int K, int out, mdm_tensor *t) {
    const size_t rb = mdm_type_row_bytes(type, (size_t)K);
    unsigned char *d = malloc(rb * (size_t)out);
    float *row = rnd((size_t)K, 0.05f, 7);
    for (int o = 0; o < out; o++) {
        row[o % K] += 0.001f;
        void *dst = d + (size_t)o * rb;
        if (type == MDM_TYPE_F32) memcpy(dst, row, rb);
        else if (type == MDM_TYPE_F16) mdm_quantize_row_f16(row, dst, (size_t)K);
        else if (type == MDM_TYPE_Q8_0) mdm_quantize_row_q8_0(row, dst, (size_t)K);
        else mdm_quantize_row_q4_0(row, dst, (size_t)K);
    }
    free(row);
    *t = (mdm_tensor){d, type, {K, out, 1, 1}, 2, rb * (size_t)out};
    return d;
}

typedef struct {
    const op_def *op;
    mdm_tensor w;
    void *wdata;
    float *x, *y, *a, *b, *c, *h;
} op_state;

static void op_setup(op_state *s, const op_def *op) {
    memset(s, 0, sizeof *s);
    s->op = op;
    if (op->kind == 0) {
        s->wdata = weight(op->type, op->K, op->out, &s->w);
        s->x = rnd((size_t)op->T * op->K, 1.0f, 1);
        s->y = malloc((size_t)op->T * op->out * sizeof(float));
    } else if (op->kind == 1 || op->kind == 2) {
        const size_t n = (size_t)op->T * op->K;
        s->x = rnd(n, 1.0f, 1);
        s->y = malloc(n * sizeof(float));
        s->a = rnd(n, 0.5f, 2); /* delta */
        for (size_t i = 0; i < n; i++)
            s->a[i] = 0.05f + fabsf(s->a[i]);
        s->b = rnd((size_t)op->K * op->out + 1, 1.0f, 3); /* A */
        for (int i = 0; i < op->K * op->out; i++)
            s->b[i] = -expf(s->b[i]);
        s->c = rnd((size_t)op->T * 2 * N_ + (size_t)op->K, 1.0f, 4); /* B, C; D */
        s->h = malloc((size_t)op->K * (op->out + 1) * sizeof(float));
    } else {
        const size_t hw = (size_t)op->T * op->T;
        s->wdata = weight(op->type, op->K * 9, op->out, &s->w);
        s->x = rnd((size_t)op->K * hw, 1.0f, 1);
        s->y = malloc((size_t)op->out * hw * sizeof(float));
        s->c = rnd((size_t)op->out, 0.1f, 5);
    }
}

static void op_free(op_state *s) {
    free(s->wdata), free(s->x), free(s->y), free(s->a), free(s->b), free(s->c), free(s->h);
}

static void op_run(const op_state *s, const mdm_exec *ex) {
    const op_def *op = s->op;
    switch (op->kind) {
    case 0: mdm_op_matmul(ex, s->y, s->x, &s->w, NULL, op->T, NULL); break;
    case 1:
        mdm_op_selective_scan(ex, s->y, s->x, s->a, s->b, s->c, s->c + N_, 2 * N_,
                              s->c + (size_t)op->T * 2 * N_, op->T, op->K, op->out, s->h);
        break;
    case 2:
        memcpy(s->y, s->x, (size_t)op->T * op->K * sizeof(float));
        mdm_op_silu(ex, s->y, (size_t)op->T * op->K);
        mdm_op_softplus(ex, s->y, (size_t)op->T * op->K);
        break;
    default:
        mdm_op_conv2d_3x3(ex, s->y, s->x, &s->w, s->c, op->K, op->out, op->T, op->T, 1, NULL);
    }
}

/* Operations of one run: flops (matmul, conv), state updates (scan), elements. */
static double op_work(const op_def *op) {
    switch (op->kind) {
    case 0: return 2.0 * op->T * op->K * op->out;
    case 1: return (double)op->T * op->K * op->out;
    case 2: return 2.0 * op->T * op->K;
    default: return 2.0 * op->T * op->T * op->K * 9.0 * op->out;
    }
}

/* Best seconds per run over at least min_s of runs (at least 2).  One
 * thread: by the process's CPU clock, which a shared machine's other
 * processes do not advance; several: by the wall clock (then other load
 * shows). */
static double timed(const op_state *s, const mdm_exec *ex, double min_s) {
    double best = 1e30, start = bench_now();
    int n = 0;
    op_run(s, ex); /* warm-up */
    while (n < 2 || bench_now() - start < min_s) {
        double t0 = bench_now(), c0 = bench_cpu();
        op_run(s, ex);
        double t = ex->n_threads > 1 ? bench_now() - t0 : bench_cpu() - c0;
        best = t < best ? t : best;
        n++;
    }
    return best;
}

static int make_exec(mdm_exec *ex, const mdm_kernels *k, int n) {
    memset(ex, 0, sizeof *ex);
    ex->k = k;
    ex->n_threads = n;
    ex->ws_stride = mdm_kernels_ws_bytes(T_, DI_, 128 * 9, 128, N_);
    ex->ws = aligned_alloc(64, ex->ws_stride * (size_t)n);
    ex->min_parallel_work = MDM_MIN_PARALLEL_WORK;
    return ex->ws && (n == 1 || mdm_port_pool_create(n, &ex->pool) == MDM_OK);
}

static void free_exec(mdm_exec *ex) {
    mdm_port_pool_free(ex->pool);
    free(ex->ws);
}

int main(int argc, char **argv) {
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), quick = 0;
    const char *kname = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc)
            kname = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else {
            fprintf(stderr, "usage: mdm-bench-kernels [--threads N] [--kernel NAME] [--quick]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 64)
        threads = 1;
    const mdm_kernels *fast = mdm_kernels_select(kname);
    if (!fast) {
        fprintf(stderr, "mdm-bench-kernels: no kernel set \"%s\" here\n", kname);
        return 2;
    }
    const double min_s = quick ? 0.0 : 0.3;
    double fma1 = 0, dot1 = 0, fman = 0, dotn = 0;
    int peaks = bench_peaks(1, &fma1, &dot1, quick ? 100 : 1);
    if (peaks && threads > 1)
        bench_peaks(threads, &fman, &dotn, quick ? 100 : 1);
    printf("kernel set: %s (vs scalar), threads 1 and %d\n", fast->name, threads);
    if (peaks)
        printf("measured peak: F32 FMA %.1f GFLOP/s (1 thread), %.1f (%d); int8 dot %.1f GOP/s "
               "(1 thread), %.1f (%d)\n",
               fma1, fman, threads, dot1, dotn, threads);
    printf("%-16s %-28s %9s %9s %8s %9s %8s %7s %8s\n", "op", "shape", "scalar ms", "ms(1t)",
           "G/s(1t)", "ms(nt)", "G/s(nt)", "%peak", "x scalar");
    mdm_exec sc, f1, fn;
    if (!make_exec(&sc, &mdm_kernels_scalar, 1) || !make_exec(&f1, fast, 1) ||
        !make_exec(&fn, fast, threads))
        return 4;
    for (int i = 0; i < N_OPS; i++) {
        op_state s;
        op_setup(&s, &ops[i]);
        const double w = op_work(&ops[i]);
        const double ts = quick && ops[i].kind == 3 ? NAN : timed(&s, &sc, 0.0);
        const double t1 = timed(&s, &f1, min_s), tn = timed(&s, &fn, min_s);
        /* % of the peak the op's arithmetic runs on, on n threads */
        const int is_int = ops[i].type == MDM_TYPE_Q8_0 || ops[i].type == MDM_TYPE_Q4_0;
        const double peak = ops[i].kind == 0 || ops[i].kind == 3
                                ? (is_int && ops[i].kind == 0 ? (threads > 1 ? dotn : dot1)
                                                              : (threads > 1 ? fman : fma1))
                                : 0;
        printf("%-16s %-28s %9.3f %9.3f %8.1f %9.3f %8.1f ", ops[i].name, ops[i].shape, ts * 1e3,
               t1 * 1e3, w / t1 / 1e9, tn * 1e3, w / tn / 1e9);
        if (peak > 0)
            printf("%6.1f%% ", 100.0 * w / tn / 1e9 / peak);
        else
            printf("%7s ", "-");
        printf("%8.1f\n", ts / tn);
        op_free(&s);
    }
    printf("G/s: GFLOP/s for F32/F16 matmul and conv2d, GOP/s (int8 multiply-adds x 2) for\n"
           "q8_0/q4_0 matmul, G state updates/s for the scan, G elements/s for silu+softplus.\n"
           "%%peak: of the F32 FMA peak (int8 dot peak for q8_0/q4_0 matmul) on the same threads.\n"
           "x scalar: scalar set on 1 thread / this set on %d threads.  1 thread: CPU time;\n"
           "n threads: wall time (slowed by any other load; peaks: each thread's CPU time).\n",
           threads);
    free_exec(&sc), free_exec(&f1), free_exec(&fn);
    return 0;
}
