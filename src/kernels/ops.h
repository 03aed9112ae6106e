/* The runtime's way to call kernels: through a context's kernel set
 * (dispatch.h) and across its thread pool.  Each mdm_op_* has the contract
 * of the reference kernel of the same name in kernels.h, plus `ex` first;
 * ex == NULL runs the reference kernel on the calling thread with the
 * caller's scratch (as before there were sets).  With an exec the scratch
 * argument is unused: each thread has its own workspace.
 *
 * Work is split where no sum crosses the split (tokens of a matmul or
 * conv1d, output rows of a convolution, channels of the scan), so a result
 * has the same bits for any thread count. */
#ifndef MDM_KERNELS_OPS_H
#define MDM_KERNELS_OPS_H
#include "arena.h"
#include "kernels/dispatch.h"
#include "port.h"

typedef struct mdm_exec {
    const mdm_kernels *k;
    mdm_port_pool *pool;  /* NULL: the calling thread only */
    int n_threads;
    unsigned char *ws;    /* n_threads workspaces of ws_stride bytes */
    size_t ws_stride;
    double min_parallel_work; /* smaller calls run on the caller alone */
    int stage_chunk;      /* tokens of a long share per pass through a layer stage
                           * (src/mamba/block_par.c; a multiple of 16; 0: whole) */
    float *speed;         /* n_threads > 1: each thread's measured tokens per second
                           * in the Mamba layers' token stages, which sizes its
                           * share of the next layer (block_par.c); else NULL */
} mdm_exec;

/* Multiply-adds (or element operations) below which waking a worker, some
 * microseconds, costs more than it saves: at 1e6 the demo model's step ran
 * 3.7x slower on 2 threads than on 1 (1.5 vs 0.4 ms); at 1e7 0.3 ms. */
#define MDM_MIN_PARALLEL_WORK 1e7

/* A share of more than 2 chunks goes through a stage of the Mamba layer a
 * chunk at a time, its activations (about 12 KB a token) through every op
 * of the stage while they are still in cache. */
#define MDM_STAGE_CHUNK 256

/* The largest shapes the kernels will see for model m. */
void mdm_exec_need(const mdm_model *m, int *T, int *K, int *conv_k, int *conv_co, int *N);

/* Carves the workspaces of n_threads threads for model m from the
 * persistent end (measures on a measuring arena) and fills ex except pool. */
void mdm_exec_carve(mdm_arena *a, const mdm_model *m, const mdm_kernels *k, int n_threads,
                    mdm_exec *ex);

/* For ops that several kernel calls make up (src/mamba/block_par.c): share
 * i of n of [0, total), bounds at the multiples of align nearest to the
 * threads' measured speeds (ex->speed; equal shares when it has none for n
 * threads); thread i's workspace; and a run of fn over the pool
 * (fn(arg, 0, 1) on the caller when there are fewer than two shares or less
 * work than pays). */
void mdm_exec_share(const mdm_exec *ex, int total, int align, int i, int n, int *lo, int *hi);
void *mdm_exec_ws(const mdm_exec *ex, int i);
void mdm_exec_run(const mdm_exec *ex, mdm_port_task fn, void *arg, long shares, double work);

void mdm_op_matmul(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                   const float *bias, int T, float *scratch);
void mdm_op_rmsnorm(const mdm_exec *ex, float *y, const float *x, const float *w, int T, int d,
                    float eps);
void mdm_op_conv1d_causal(const mdm_exec *ex, float *y, const float *x, const float *w,
                          const float *b, int T, int di, int K);
void mdm_op_selective_scan(const mdm_exec *ex, float *y, const float *x, const float *delta,
                           const float *A, const float *B, const float *C, int ld_bc,
                           const float *D, int T, int di, int N, float *h);
/* The scan with delta = softplus(dt W^T + bias) computed per channel block
 * as it goes (dispatch.h: scan_dt), for when mdm_op_has_scan_dt says the
 * set has it for these shapes: the bits of dt_proj, softplus and the scan,
 * without their delta buffer's trip through memory. */
int mdm_op_has_scan_dt(const mdm_exec *ex, int R, int N);
void mdm_op_selective_scan_dt(const mdm_exec *ex, float *y, const float *x, const float *dt,
                              int R, const float *W, const float *bias, const float *A,
                              const float *B, const float *C, int ld_bc, const float *D, int T,
                              int di, int N, float *h);
void mdm_op_silu(const mdm_exec *ex, float *x, size_t n);
void mdm_op_softplus(const mdm_exec *ex, float *x, size_t n);
void mdm_op_conv2d_3x3(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                       const float *b, int ci, int co, int h, int w_, int stride, float *scratch);
/* Output rows [oy0, oy1) only, in the layout of the whole output. */
void mdm_op_conv2d_3x3_rows(const mdm_exec *ex, float *y, const float *x, const mdm_tensor *w,
                            const float *b, int ci, int co, int h, int w_, int stride,
                            float *scratch, int oy0, int oy1);
void mdm_op_upsample2x(const mdm_exec *ex, float *y, const float *x, int c, int h, int w);
void mdm_op_groupnorm(const mdm_exec *ex, float *y, const float *x, const float *gamma,
                      const float *beta, int c, int hw, int groups, float eps);

#endif
