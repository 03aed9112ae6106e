/* One function per device kernel: set the arguments, enqueue.  Work sizes
 * are rounded up to the work-group; the kernels test their bounds.  A
 * failure is recorded (mdm_ocl_note) and reported by mdm_ocl_check, so a
 * step checks once, at its end. */
#include "opencl/ocl.h"

typedef struct {
    mdm_ocl *o;
    cl_kernel k;
    cl_uint n;
} args;

static args begin(mdm_ocl *o, int kernel) { return (args){o, o->kernels[kernel], 0}; }

static void put(args *a, size_t size, const void *v) {
    mdm_ocl_note(a->o, clSetKernelArg(a->k, a->n++, size, v));
}

static void put_mem(args *a, cl_mem m) { put(a, sizeof m, &m); }
static void put_int(args *a, int v) { put(a, sizeof v, &v); }
static void put_u64(args *a, cl_ulong v) { put(a, sizeof v, &v); }
static void put_float(args *a, float v) { put(a, sizeof v, &v); }
static void put_f32(args *a, ocl_f32 f) { put_mem(a, f.mem), put_int(a, f.off); }
static void put_bytes(args *a, ocl_bytes b) { put_mem(a, b.mem), put_u64(a, b.off); }

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* Enqueues over global g[dims] in groups of l[dims] (l NULL: the driver's choice). */
static void go(args *a, cl_uint dims, const size_t *g, const size_t *l) {
    size_t gg[3];
    for (cl_uint i = 0; i < dims; i++)
        gg[i] = l ? round_up(g[i] ? g[i] : 1, l[i]) : (g[i] ? g[i] : 1);
    mdm_ocl_note(a->o, clEnqueueNDRangeKernel(a->o->queue, a->k, dims, NULL, gg, l, 0, NULL, NULL));
}

static void go1(args *a, size_t n) {
    const size_t l = 64;
    go(a, 1, &n, &l);
}

/* The arguments both matmul kernels end with (weight, bias, shape, act),
 * then the launch: 16x16 items, each 4x4 outputs, so the grid covers O and
 * T in 64s. */
static void put_weight_and_go(args *a, const ocl_weight *w, ocl_bytes bias, int T, int act) {
    put_mem(a, w->mem), put_u64(a, w->off), put_u64(a, w->row_bytes), put_int(a, w->type);
    put_mem(a, bias.mem ? bias.mem : w->mem), put_u64(a, bias.off), put_int(a, bias.mem != 0);
    put_int(a, w->K), put_int(a, w->O), put_int(a, T), put_int(a, act);
    const size_t g[2] = {((size_t)w->O + 63) / 64 * 16, ((size_t)T + 63) / 64 * 16},
                 l[2] = {16, 16};
    go(a, 2, g, l);
}

void ocl_quant_act(mdm_ocl *o, cl_mem q, cl_mem d, ocl_f32 x, int T, int K) {
    args a = begin(o, OCL_QUANT_ACT);
    put_f32(&a, x), put_mem(&a, q), put_mem(&a, d), put_int(&a, T), put_int(&a, K);
    go1(&a, (size_t)T * (size_t)(K / 32));
}

void ocl_matmul_i8(mdm_ocl *o, ocl_f32 y, cl_mem q, cl_mem d, const ocl_weight *w,
                   ocl_bytes bias, int T, int act) {
    args a = begin(o, OCL_MATMUL_I8);
    put_f32(&a, y), put_mem(&a, q), put_mem(&a, d);
    put_weight_and_go(&a, w, bias, T, act);
}

/* Whether w's matmul takes the int8 path on T tokens. */
static int int8_path(const mdm_ocl *o, const ocl_weight *w, int T) {
    const int quantized = w->type == MDM_TYPE_Q8_0 || w->type == MDM_TYPE_Q4_0;
    return o->int8 && quantized && w->K % 32 == 0 && (size_t)T * (size_t)w->K <= o->xq_cap;
}

void ocl_matmul2(mdm_ocl *o, ocl_f32 y1, ocl_f32 y2, ocl_f32 x, const ocl_weight *w1,
                 const ocl_weight *w2, int T) {
    static const ocl_bytes none = {NULL, 0};
    if (w1->K == w2->K && int8_path(o, w1, T) && int8_path(o, w2, T)) {
        ocl_quant_act(o, o->xq, o->xd, x, T, w1->K); /* once for both */
        ocl_matmul_i8(o, y1, o->xq, o->xd, w1, none, T, OCL_NONE);
        ocl_matmul_i8(o, y2, o->xq, o->xd, w2, none, T, OCL_NONE);
        return;
    }
    ocl_matmul(o, y1, x, w1, none, T, OCL_NONE);
    ocl_matmul(o, y2, x, w2, none, T, OCL_NONE);
}

void ocl_matmul(mdm_ocl *o, ocl_f32 y, ocl_f32 x, const ocl_weight *w, ocl_bytes bias, int T,
                int act) {
    if (int8_path(o, w, T)) {
        ocl_quant_act(o, o->xq, o->xd, x, T, w->K);
        ocl_matmul_i8(o, y, o->xq, o->xd, w, bias, T, act);
        return;
    }
    args a = begin(o, OCL_MATMUL);
    put_f32(&a, y), put_f32(&a, x);
    put_weight_and_go(&a, w, bias, T, act);
}

void ocl_rmsnorm(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_bytes w, int T, int d, float eps) {
    args a = begin(o, OCL_RMSNORM);
    put_f32(&a, y), put_f32(&a, x), put_bytes(&a, w), put_int(&a, d), put_float(&a, eps);
    const size_t g = (size_t)T * 64, l = 64;
    go(&a, 1, &g, &l);
}

void ocl_conv1d(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_bytes w, ocl_bytes b, int T, int di, int K,
                int act) {
    args a = begin(o, OCL_CONV1D);
    put_f32(&a, y), put_f32(&a, x), put_mem(&a, w.mem), put_u64(&a, w.off), put_u64(&a, b.off);
    put_int(&a, T), put_int(&a, di), put_int(&a, K), put_int(&a, act);
    const size_t g[2] = {(size_t)di, (size_t)T}, l[2] = {64, 1};
    go(&a, 2, g, l);
}

void ocl_scan(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_f32 delta, ocl_f32 A, ocl_f32 bc, int ld_bc,
              ocl_bytes D, int T, int di, int N) {
    /* Groups of about 64 items: N states by 64/N channels. */
    const size_t per = N >= 64 ? 1 : (size_t)(64 / N);
    args a = begin(o, OCL_SCAN);
    put_f32(&a, y), put_f32(&a, x), put_f32(&a, delta), put_f32(&a, A), put_f32(&a, bc);
    put_int(&a, ld_bc), put_bytes(&a, D), put_int(&a, T), put_int(&a, di), put_int(&a, N);
    put(&a, per * (size_t)N * sizeof(float), NULL);
    const size_t g[2] = {(size_t)N, (size_t)di}, l[2] = {(size_t)N, per};
    go(&a, 2, g, l);
}

void ocl_act(mdm_ocl *o, ocl_f32 x, int n, int op) {
    args a = begin(o, OCL_ACT);
    put_f32(&a, x), put_int(&a, n), put_int(&a, op);
    go1(&a, (size_t)n);
}

void ocl_gate(mdm_ocl *o, ocl_f32 y, ocl_f32 z, int n) {
    args a = begin(o, OCL_GATE);
    put_f32(&a, y), put_f32(&a, z), put_int(&a, n);
    go1(&a, (size_t)n);
}

static void perm_op(mdm_ocl *o, int kernel, cl_mem dst, cl_mem src, int perm_off, int d, int S) {
    args a = begin(o, kernel);
    put_mem(&a, dst), put_mem(&a, src), put_mem(&a, o->perm), put_int(&a, perm_off);
    put_int(&a, d), put_int(&a, S);
    const size_t g[2] = {(size_t)d, (size_t)S}, l[2] = {32, 1};
    go(&a, 2, g, l);
}

void ocl_gather(mdm_ocl *o, cl_mem u, cl_mem x, int perm_off, int d, int S) {
    perm_op(o, OCL_GATHER, u, x, perm_off, d, S);
}

void ocl_scatter_add(mdm_ocl *o, cl_mem x, cl_mem out, int perm_off, int d, int S) {
    perm_op(o, OCL_SCATTER_ADD, x, out, perm_off, d, S);
}

void ocl_embed_text(mdm_ocl *o, cl_mem x, ocl_bytes task, ocl_bytes text, ocl_bytes pos, int d,
                    int Lt) {
    args a = begin(o, OCL_EMBED_TEXT);
    put_mem(&a, x), put_mem(&a, o->io_i), put_int(&a, 0), put_int(&a, 1);
    put_mem(&a, task.mem), put_u64(&a, task.off), put_u64(&a, text.off), put_u64(&a, pos.off);
    put_int(&a, d), put_int(&a, Lt);
    const size_t g[2] = {(size_t)d, (size_t)Lt + 1}, l[2] = {32, 1};
    go(&a, 2, g, l);
}

void ocl_patch(mdm_ocl *o, cl_mem patches, ocl_f32 latent, const mdm_hparams *hp, int dir) {
    args a = begin(o, OCL_PATCH);
    put_mem(&a, patches), put_f32(&a, latent), put_int(&a, hp->patch_size);
    put_int(&a, hp->grid), put_int(&a, hp->latent_channels), put_int(&a, dir);
    go1(&a, (size_t)hp->n_image_tokens * (size_t)hp->patch_dim);
}

void ocl_add_rows(mdm_ocl *o, ocl_f32 y, ocl_bytes table, int n) {
    args a = begin(o, OCL_ADD_ROWS);
    put_f32(&a, y), put_bytes(&a, table), put_int(&a, n);
    go1(&a, (size_t)n);
}

void ocl_conv2d(mdm_ocl *o, cl_mem y, cl_mem x, const ocl_weight *w, ocl_bytes b, int ci, int co,
                int h, int w_, int stride, int act) {
    args a = begin(o, OCL_CONV2D);
    put_mem(&a, y), put_mem(&a, x), put_mem(&a, w->mem), put_u64(&a, w->off);
    put_u64(&a, w->row_bytes), put_int(&a, w->type), put_u64(&a, b.off);
    put_int(&a, ci), put_int(&a, co), put_int(&a, h), put_int(&a, w_), put_int(&a, stride);
    put_int(&a, act);
    const size_t g[3] = {(size_t)((w_ - 1) / stride + 1), (size_t)((h - 1) / stride + 1),
                         (size_t)co},
                 l[3] = {8, 8, 4};
    go(&a, 3, g, l);
}

void ocl_groupnorm(mdm_ocl *o, cl_mem y, cl_mem x, ocl_bytes gamma, ocl_bytes beta, int c, int hw,
                   int groups, float eps) {
    args a = begin(o, OCL_GROUPNORM);
    put_mem(&a, y), put_mem(&a, x), put_mem(&a, gamma.mem), put_u64(&a, gamma.off);
    put_u64(&a, beta.off), put_int(&a, c / groups), put_int(&a, hw), put_float(&a, eps);
    const size_t g = (size_t)groups * 256, l = 256;
    go(&a, 1, &g, &l);
}

void ocl_upsample(mdm_ocl *o, cl_mem y, cl_mem x, int c, int h, int w) {
    args a = begin(o, OCL_UPSAMPLE);
    put_mem(&a, y), put_mem(&a, x), put_int(&a, c), put_int(&a, h), put_int(&a, w);
    const size_t g[3] = {(size_t)w * 2, (size_t)h * 2, (size_t)c}, l[3] = {8, 8, 1};
    go(&a, 3, g, l);
}

void ocl_add(mdm_ocl *o, cl_mem y, cl_mem x, int n) {
    args a = begin(o, OCL_ADD);
    put_mem(&a, y), put_mem(&a, x), put_int(&a, n);
    go1(&a, (size_t)n);
}

void ocl_copy(mdm_ocl *o, cl_mem dst, cl_mem src, size_t n_floats) {
    mdm_ocl_note(o, clEnqueueCopyBuffer(o->queue, src, dst, 0, 0, n_floats * sizeof(float), 0,
                                        NULL, NULL));
}
