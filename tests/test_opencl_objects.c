/* Every OpenCL object a context creates is released when it is freed, and
 * running a context creates none and allocates nothing, on the device or on
 * the host.  Counted independently of the backend's own bookkeeping: this
 * binary defines the OpenCL entry points the backend calls (so the
 * backend, linked statically, calls these), counts each create, retain and
 * release by kind, and forwards to the ICD loader's (dlsym RTLD_NEXT).  It
 * also replaces malloc and friends, as test_alloc.c does, and counts the
 * calls made on the test's own thread outside any OpenCL call: the
 * driver's own allocations for the commands we enqueue are its business,
 * ours are ours.  SKIP without OpenCL in the build, without a device, or
 * under a sanitizer (which owns malloc). */
#define _GNU_SOURCE
#include "check.h"
#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#if !defined(MDM_OPENCL) || defined(UNDER_ASAN) || !defined(__GLIBC__)
int main(void) {
    SKIP("opencl_objects", "needs make OPENCL=1, glibc and no sanitizer");
    (void)check_failed_case, (void)check_failures_total;
    return 0;
}
#else
#include "opencl/ocl.h"
#include "test_runtime_util.h"
#include <dlfcn.h>

/* ---- counters (test-only globals) ---------------------------------------- */

enum { K_CONTEXT, K_QUEUE, K_PROGRAM, K_KERNEL, K_MEM, N_KINDS };
static const char *const kind_name[N_KINDS] = {"contexts", "queues", "programs", "kernels",
                                               "buffers"};
static long created[N_KINDS], live[N_KINDS];
static long host_allocs;                 /* on the test thread, outside OpenCL calls */
static _Thread_local int in_cl;          /* depth of OpenCL calls on this thread */
static _Thread_local int is_test_thread; /* set by main */

/* The loader's function of this name. */
static void *next_fn(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        printf("FAIL opencl_objects: no %s in the OpenCL loader\n", name);
        exit(1);
    }
    return f;
}

#define NEXT(name) ((__typeof__(&name))next_fn(#name))
/* Calls the loader's `name` with OpenCL calls marked, so the driver's own
 * nested calls and allocations are not counted as ours. */
#define FORWARD(result, name, ...)                                                            \
    do {                                                                                      \
        static __typeof__(&name) f_;                                                          \
        if (!f_)                                                                              \
            f_ = NEXT(name);                                                                  \
        in_cl++;                                                                              \
        result = f_(__VA_ARGS__);                                                             \
        in_cl--;                                                                              \
    } while (0)

static void made(int kind, const void *obj) {
    if (obj && in_cl == 0)
        created[kind]++, live[kind]++;
}
static void released(int kind, cl_int e) {
    if (e == CL_SUCCESS && in_cl == 0)
        live[kind]--;
}

cl_context clCreateContext(const cl_context_properties *p, cl_uint n, const cl_device_id *d,
                           void(CL_CALLBACK *cb)(const char *, const void *, size_t, void *),
                           void *u, cl_int *e) {
    cl_context r;
    FORWARD(r, clCreateContext, p, n, d, cb, u, e);
    made(K_CONTEXT, r);
    return r;
}
cl_int clReleaseContext(cl_context c) {
    cl_int e;
    FORWARD(e, clReleaseContext, c);
    released(K_CONTEXT, e);
    return e;
}
cl_command_queue clCreateCommandQueue(cl_context c, cl_device_id d,
                                      cl_command_queue_properties p, cl_int *e) {
    cl_command_queue r;
    FORWARD(r, clCreateCommandQueue, c, d, p, e);
    made(K_QUEUE, r);
    return r;
}
cl_int clReleaseCommandQueue(cl_command_queue q) {
    cl_int e;
    FORWARD(e, clReleaseCommandQueue, q);
    released(K_QUEUE, e);
    return e;
}
cl_program clCreateProgramWithSource(cl_context c, cl_uint n, const char **s, const size_t *l,
                                     cl_int *e) {
    cl_program r;
    FORWARD(r, clCreateProgramWithSource, c, n, s, l, e);
    made(K_PROGRAM, r);
    return r;
}
cl_int clReleaseProgram(cl_program p) {
    cl_int e;
    FORWARD(e, clReleaseProgram, p);
    released(K_PROGRAM, e);
    return e;
}
cl_kernel clCreateKernel(cl_program p, const char *name, cl_int *e) {
    cl_kernel r;
    FORWARD(r, clCreateKernel, p, name, e);
    made(K_KERNEL, r);
    return r;
}
cl_int clReleaseKernel(cl_kernel k) {
    cl_int e;
    FORWARD(e, clReleaseKernel, k);
    released(K_KERNEL, e);
    return e;
}
cl_mem clCreateBuffer(cl_context c, cl_mem_flags f, size_t n, void *host, cl_int *e) {
    cl_mem r;
    FORWARD(r, clCreateBuffer, c, f, n, host, e);
    made(K_MEM, r);
    return r;
}
cl_int clReleaseMemObject(cl_mem m) {
    cl_int e;
    FORWARD(e, clReleaseMemObject, m);
    released(K_MEM, e);
    return e;
}
/* Retains would keep an object alive past its release: count them as live. */
cl_int clRetainMemObject(cl_mem m) {
    cl_int e;
    FORWARD(e, clRetainMemObject, m);
    if (e == CL_SUCCESS && in_cl == 0)
        live[K_MEM]++;
    return e;
}

/* The calls of the inference path: marked, so that what the driver does
 * inside them is not counted as ours. */
cl_int clSetKernelArg(cl_kernel k, cl_uint i, size_t n, const void *v) {
    cl_int e;
    FORWARD(e, clSetKernelArg, k, i, n, v);
    return e;
}
cl_int clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *o,
                              const size_t *g, const size_t *l, cl_uint nw, const cl_event *w,
                              cl_event *ev) {
    cl_int e;
    FORWARD(e, clEnqueueNDRangeKernel, q, k, dims, o, g, l, nw, w, ev);
    return e;
}
cl_int clEnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool b, size_t off, size_t n, void *p,
                           cl_uint nw, const cl_event *w, cl_event *ev) {
    cl_int e;
    FORWARD(e, clEnqueueReadBuffer, q, m, b, off, n, p, nw, w, ev);
    return e;
}
cl_int clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool b, size_t off, size_t n,
                            const void *p, cl_uint nw, const cl_event *w, cl_event *ev) {
    cl_int e;
    FORWARD(e, clEnqueueWriteBuffer, q, m, b, off, n, p, nw, w, ev);
    return e;
}
cl_int clEnqueueCopyBuffer(cl_command_queue q, cl_mem s, cl_mem d, size_t so, size_t dof,
                           size_t n, cl_uint nw, const cl_event *w, cl_event *ev) {
    cl_int e;
    FORWARD(e, clEnqueueCopyBuffer, q, s, d, so, dof, n, nw, w, ev);
    return e;
}
cl_int clFinish(cl_command_queue q) {
    cl_int e;
    FORWARD(e, clFinish, q);
    return e;
}

/* glibc's allocator under its internal names (as test_alloc.c). */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t k);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);

static void count_alloc(void) {
    if (is_test_thread && in_cl == 0)
        host_allocs++;
}
void *malloc(size_t n) {
    count_alloc();
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t k) {
    count_alloc();
    return __libc_calloc(n, k);
}
void *realloc(void *p, size_t n) {
    count_alloc();
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t align, size_t n) {
    count_alloc();
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
    count_alloc();
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12; /* ENOMEM */
}

/* ---- the cases ------------------------------------------------------------ */

static mdm_model *M;
static const char *device = "opencl";

static long total(const long *k) {
    long s = 0;
    for (int i = 0; i < N_KINDS; i++)
        s += k[i];
    return s;
}

/* Every call that runs the model, once (as test_alloc.c). */
static int run_everything(mdm_ctx *c, uint8_t *px, size_t npix, float *lat, float *v, float *s,
                          int32_t *ids) {
    mdm_model_info I;
    mdm_model_get_info(M, &I);
    const int Lt = I.text_len;
    const size_t nl = npix / ((size_t)I.vae_factor * I.vae_factor * I.image_channels) *
                      (size_t)I.latent_channels;
    float ti[2] = {0.3f, 0.3f}, tt[2] = {0.0f, 1.0f};
    int32_t task[2] = {0, 1};
    char text[512];
    size_t n;
    mdm_gen_params p = mdm_gen_params_init();
    p.steps = 3, p.text_steps = 3, p.guidance = 2.0f, p.sampler = MDM_SAMPLER_HEUN;
    int ok = mdm_text_to_image(c, "a bag", 5, &p, px, npix) == MDM_OK;
    ok = ok && mdm_encode_image(c, px, npix, lat) == MDM_OK;
    ok = ok && mdm_decode_latent(c, lat, px, npix) == MDM_OK;
    memcpy(lat + nl, lat, nl * sizeof *lat);
    for (int i = 0; i < 2 * Lt; i++)
        ids[i] = i % (I.vocab_size + 1);
    ok = ok && mdm_denoise(c, 2, lat, ids, ti, tt, task, v, s) == MDM_OK;
    ok = ok && mdm_caption(c, px, npix, &p, text, sizeof text, &n) == MDM_OK;
    ok = ok && mdm_vqa(c, px, npix, "is this a bag?", 14, &p, text, sizeof text, &n) == MDM_OK;
    ok = ok && mdm_joint(c, &p, px, npix, text, sizeof text, &n) == MDM_OK;
    return ok;
}

static void test_objects_released_and_nothing_allocated(void) {
    mdm_model_info I;
    mdm_model_get_info(M, &I);
    const size_t npix = (size_t)I.image_size * I.image_size * I.image_channels;
    const size_t ns = (size_t)I.text_len * (I.vocab_size + 1);
    uint8_t *px = malloc(npix);
    float *lat = malloc(2 * npix * sizeof(float)), *v = malloc(2 * npix * sizeof(float));
    float *s = malloc(2 * ns * sizeof(float));
    int32_t *ids = malloc(2 * (size_t)I.text_len * sizeof(int32_t));
    CHECK(px && lat && v && s && ids);
    if (!px || !lat || !v || !s || !ids)
        return;
    for (int round = 0; round < 2; round++) { /* the second: int8 matmuls, from zero again */
        mdm_ctx_params cp = mdm_ctx_params_init();
        char err[4096] = "", name[64];
        snprintf(name, sizeof name, "%s%s", device, round ? "/int8" : "");
        cp.device = name, cp.err = err, cp.err_len = sizeof err;
        mdm_ctx *c = NULL;
        mdm_status st = mdm_ctx_create(M, &cp, NULL, 0, &c);
        CHECKF(st == MDM_OK, "context on %s: %s: %s", name, mdm_strerror(st), err);
        if (st != MDM_OK)
            break;
        long made_at_create[N_KINDS];
        memcpy(made_at_create, created, sizeof created);
        printf("  %s holds %ld OpenCL objects:", mdm_ctx_device(c), total(live));
        for (int k = 0; k < N_KINDS; k++)
            printf(" %ld %s", live[k], kind_name[k]);
        printf("\n");
        CHECK(live[K_CONTEXT] == 1 && live[K_QUEUE] == 1 && live[K_PROGRAM] == 1);
        CHECK(live[K_KERNEL] > 0 && live[K_MEM] > 0);
        const long allocs_before = host_allocs;
        CHECK(run_everything(c, px, npix, lat, v, s, ids));
        const long host = host_allocs - allocs_before;
        long device_objects = 0;
        for (int k = 0; k < N_KINDS; k++)
            device_objects += created[k] - made_at_create[k];
        printf("  running every call: %ld OpenCL objects created, %ld host allocations\n",
               device_objects, host);
        CHECKF(device_objects == 0, "%ld OpenCL objects created after mdm_ctx_create",
               device_objects);
        CHECKF(host == 0, "%ld host allocations after mdm_ctx_create", host);
        mdm_ctx_free(c);
        for (int k = 0; k < N_KINDS; k++)
            CHECKF(live[k] == 0, "after mdm_ctx_free: %ld %s not released", live[k],
                   kind_name[k]);
    }
    free(px), free(lat), free(v), free(s), free(ids);
}

/* A context that fails part-way (no such device, or an invalid name)
 * leaves nothing behind either. */
static void test_failed_create_leaves_nothing(void) {
    const char *bad[] = {"opencl:99", "opencl:x", "opencl/int4", "opencl:0/int8x"};
    for (int i = 0; i < 4; i++) {
        mdm_ctx_params cp = mdm_ctx_params_init();
        char err[512] = "";
        cp.device = bad[i], cp.err = err, cp.err_len = sizeof err;
        mdm_ctx *c = NULL;
        CHECK(mdm_ctx_create(M, &cp, NULL, 0, &c) != MDM_OK && !c);
        CHECKF(total(live) == 0, "%s: %ld objects left", bad[i], total(live));
    }
}

int main(int argc, char **argv) {
    is_test_thread = 1;
    if (argc > 1)
        device = argv[1];
    cl_device_id ids[4];
    if (mdm_ocl_devices(ids, 4) == 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            printf("FAIL opencl_objects: no OpenCL device under CI\n");
            return 1;
        }
        SKIP("opencl_objects", "no OpenCL device");
        return 0;
    }
    size_t size;
    uint8_t *file = golden_model(MDM_TYPE_Q8_0, &size);
    char err[256];
    if (!file || mdm_model_open_memory(file, size, NULL, &M, err, sizeof err) != MDM_OK) {
        printf("FAIL setup: golden model unusable\n");
        return 1;
    }
    RUN(test_objects_released_and_nothing_allocated);
    RUN(test_failed_create_leaves_nothing);
    mdm_model_free(M);
    free(file);
    CHECK_EXIT();
}
#endif
