/* The OpenCL backend (built with make OPENCL=1 only; src/device.c is the
 * part every build has).  A session holds one device's context, queue,
 * program and kernels; loading a model uploads its tensor data once, as one
 * buffer, and allocates every activation buffer a step or a VAE call needs,
 * so running allocates nothing, on the host or on the device.
 *
 * Files: device.c (platforms and devices), program.c (the program and its
 * kernels), session.c (open, buffers, release), ops.c (one enqueue per
 * kernel), model.c (the upload), forward.c (a denoiser step), vae.c. */
#ifndef MDM_OPENCL_OCL_H
#define MDM_OPENCL_OCL_H
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include "denoiser.h"
#include "mdm_rt.h"

/* A float array on the device: buffer and offset in floats. */
typedef struct {
    cl_mem mem;
    int off;
} ocl_f32;

/* Bytes on the device (model tensors): buffer and byte offset. */
typedef struct {
    cl_mem mem;
    cl_ulong off;
} ocl_bytes;

/* A weight matrix of K inputs by O outputs in its stored type. */
typedef struct {
    cl_mem mem;
    cl_ulong off, row_bytes;
    int type, K, O;
} ocl_weight;

enum {
    OCL_MATMUL, OCL_RMSNORM, OCL_CONV1D, OCL_SCAN, OCL_ACT, OCL_GATE, OCL_GATHER,
    OCL_SCATTER_ADD, OCL_EMBED_TEXT, OCL_PATCH, OCL_ADD_ROWS, OCL_CONV2D, OCL_GROUPNORM,
    OCL_UPSAMPLE, OCL_ADD, OCL_QUANT_ACT, OCL_MATMUL_I8, OCL_N_KERNELS
};

#define OCL_MAX_BUFFERS 64

typedef struct mdm_ocl mdm_ocl;
struct mdm_ocl {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program program;
    cl_kernel kernels[OCL_N_KERNELS];
    cl_mem buffers[OCL_MAX_BUFFERS]; /* every buffer, released by mdm_ocl_close */
    int n_buffers;
    int live;        /* OpenCL objects created and not yet released */
    cl_int error;    /* first failed call since the last mdm_ocl_check */
    char name[192];  /* "opencl:N <device name>" */
    size_t max_group;
    /* Int8 matmuls (cl_int8.c): int_dot is the device's 4x8-bit dot product
     * the program was built with (0 none: the portable sum, 1
     * cl_khr_integer_dot_product, 2 cl_arm_integer_dot_product_int8); int8
     * says whether Q8_0/Q4_0 matmuls take the int8 path (by default where
     * int_dot is not 0; "opencl/int8" or "opencl/f32" choose). */
    int int_dot, int8;

    /* Filled by mdm_ocl_load (model.c). */
    const mdm_model *m;
    const unsigned char *wbase; /* host start of the uploaded tensor data */
    cl_mem weights, A, perm, io_f, io_i;
    cl_mem x, u, xs, z, xc, y, dt_in, bc, delta, out, hid, patches, v, s;
    cl_mem map[3];
    cl_mem xq, xd; /* int8 activations and their block scales (int8 only) */
    size_t xq_cap; /* values xq holds (0: no int8 buffers) */
    size_t map_floats;
    float *stage;   /* host staging of io_f: 2 x 256 time features, then the latent */
    int32_t *stage_i; /* task, then the Lt tokens */
};

/* ---- device.c ---- */
/* Every device of every platform, in order (index N of "opencl:N");
 * returns the count, stores at most max. */
int mdm_ocl_devices(cl_device_id *out, int max);
/* The device "opencl" means: the first GPU, else device 0; -1 if none. */
int mdm_ocl_default_device(void);
void mdm_ocl_describe(cl_device_id d, int index, mdm_device_info *out);
/* The device's 4x8-bit integer dot product: 1 cl_khr_integer_dot_product,
 * 2 cl_arm_integer_dot_product_int8, 0 none. */
int mdm_ocl_int_dot_kind(cl_device_id d);
/* Whether the device's OpenCL C (3.0) lists the optional feature `name`. */
int mdm_ocl_c_feature(cl_device_id d, const char *name);

/* ---- session.c ---- */
/* Opens device `index` (-1: the default) and builds the program.  Errors:
 * MDM_ERR_NO_DEVICE (none, or no such index), MDM_ERR_DEVICE (with the
 * driver's words, for a failed build its log, in err). */
mdm_status mdm_ocl_open(int index, mdm_ocl **out, char *err, size_t err_len);
/* The same, trying the int8 dot product int_dot (1, 2; -1: the device's
 * kind) first: a device whose compiler lacks it falls back to the portable
 * sum (o->int_dot 0 then), as test_opencl checks on PoCL. */
mdm_status mdm_ocl_open_dot(int index, int int_dot, mdm_ocl **out, char *err, size_t err_len);
/* Chooses the matmuls of Q8_0/Q4_0 weights: int8 1, float 0, -1 the
 * default (int8 where the device has an integer dot product).  Before
 * mdm_ocl_load, which sizes the int8 buffers. */
void mdm_ocl_set_int8(mdm_ocl *o, int mode);
/* Releases every object; returns how many the session still counted as
 * live before releasing them all (0 unless something leaked past it). */
int mdm_ocl_close(mdm_ocl *o);
/* A device buffer of n bytes, copied from host when not NULL; NULL on failure. */
cl_mem mdm_ocl_buffer(mdm_ocl *o, size_t n, const void *host);
/* Releases the buffers made after the first `keep` (for the cross-device check). */
void mdm_ocl_release_buffers(mdm_ocl *o, int keep);
/* Waits for the queue; MDM_OK or MDM_ERR_DEVICE for any failure since the
 * last check (then cleared). */
mdm_status mdm_ocl_check(mdm_ocl *o);
void mdm_ocl_note(mdm_ocl *o, cl_int e); /* records e if it is the first failure */
void mdm_ocl_write(mdm_ocl *o, cl_mem m, size_t off, size_t n, const void *src);
void mdm_ocl_read(mdm_ocl *o, cl_mem m, size_t off, size_t n, void *dst);

/* ---- program.c ---- */
mdm_status mdm_ocl_build(mdm_ocl *o, char *err, size_t err_len);

/* ---- ops.c: each enqueues one kernel; errors are kept for mdm_ocl_check ---- */
/* Activations: 0 none, OCL_SILU, OCL_SOFTPLUS. */
enum { OCL_NONE = 0, OCL_SILU = 1, OCL_SOFTPLUS = 2 };
/* y = act(x W^T + b); act applies to each result as the op after it would. */
void ocl_matmul(mdm_ocl *o, ocl_f32 y, ocl_f32 x, const ocl_weight *w, ocl_bytes bias, int T,
                int act);
/* Two matmuls of one input without bias (in_proj's halves, x_proj's):
 * the int8 path quantizes the input once. */
void ocl_matmul2(mdm_ocl *o, ocl_f32 y1, ocl_f32 y2, ocl_f32 x, const ocl_weight *w1,
                 const ocl_weight *w2, int T);
/* The int8 path's two halves (cl_int8.c), for the cross-device check:
 * x [T][K] (K a multiple of 32) -> q [T][K] int8 and d [T][K / 32]
 * scales; then y = act(dequantized products + b) from q, d and w. */
void ocl_quant_act(mdm_ocl *o, cl_mem q, cl_mem d, ocl_f32 x, int T, int K);
void ocl_matmul_i8(mdm_ocl *o, ocl_f32 y, cl_mem q, cl_mem d, const ocl_weight *w,
                   ocl_bytes bias, int T, int act);
void ocl_rmsnorm(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_bytes w, int T, int d, float eps);
void ocl_conv1d(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_bytes w, ocl_bytes b, int T, int di, int K,
                int act);
/* bc: per token, N values of B then N of C, rows ld_bc apart. */
void ocl_scan(mdm_ocl *o, ocl_f32 y, ocl_f32 x, ocl_f32 delta, ocl_f32 A, ocl_f32 bc, int ld_bc,
              ocl_bytes D, int T, int di, int N);
void ocl_act(mdm_ocl *o, ocl_f32 x, int n, int op);
void ocl_gate(mdm_ocl *o, ocl_f32 y, ocl_f32 z, int n);
void ocl_gather(mdm_ocl *o, cl_mem u, cl_mem x, int perm_off, int d, int S);
void ocl_scatter_add(mdm_ocl *o, cl_mem x, cl_mem out, int perm_off, int d, int S);
void ocl_embed_text(mdm_ocl *o, cl_mem x, ocl_bytes task, ocl_bytes text, ocl_bytes pos, int d,
                    int Lt);
void ocl_patch(mdm_ocl *o, cl_mem patches, ocl_f32 latent, const mdm_hparams *hp, int dir);
void ocl_add_rows(mdm_ocl *o, ocl_f32 y, ocl_bytes table, int n);
/* stride 1 or 2 (the local tile is sized for them). */
void ocl_conv2d(mdm_ocl *o, cl_mem y, cl_mem x, const ocl_weight *w, ocl_bytes b, int ci, int co,
                int h, int w_, int stride, int act);
void ocl_groupnorm(mdm_ocl *o, cl_mem y, cl_mem x, ocl_bytes gamma, ocl_bytes beta, int c, int hw,
                   int groups, float eps);
void ocl_upsample(mdm_ocl *o, cl_mem y, cl_mem x, int c, int h, int w);
void ocl_add(mdm_ocl *o, cl_mem y, cl_mem x, int n);
void ocl_copy(mdm_ocl *o, cl_mem dst, cl_mem src, size_t n_floats);

/* ---- model.c ---- */
/* Uploads m's tensor data, A = -exp(A_log) (dn) and the scan orders, and
 * allocates the activations. */
mdm_status mdm_ocl_load(mdm_ocl *o, const mdm_model *m, const mdm_denoiser *dn, char *err,
                        size_t err_len);
ocl_bytes mdm_ocl_tensor(const mdm_ocl *o, const mdm_tensor *t);
/* Rows [first, first + n) of a loaded weight, as the CPU's mdm_weight_rows. */
ocl_weight mdm_ocl_weight(const mdm_ocl *o, const mdm_tensor *t, int first, int n);

/* ---- forward.c, vae.c ---- */
mdm_status mdm_ocl_forward(mdm_ocl *o, const mdm_den_io *io);
/* Runs the encoder (decoder 0) or decoder (1) on in ([C][H][W] floats of
 * its input) into out (n_out floats of the last map: the encoder's 2c
 * channels, or the decoder's unclamped image). */
mdm_status mdm_ocl_vae(mdm_ocl *o, int decoder, const float *in, float *out, size_t n_out);

#endif
