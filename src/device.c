/* mdm_ctx_params.device: parsing, attaching a device to a context, and the
 * calls that route a forward or a VAE pass to it (device.h). */
#include "fmt.h"
#include "device.h"
#include <stdlib.h>
#include <string.h>
#ifdef MDM_OPENCL
#include "opencl/ocl.h"
#endif

/* The matmul suffix of an OpenCL device name: "" -1, "/int8" 1, "/f32" 0,
 * anything else -2. */
static int int8_suffix(const char *rest) {
    return !*rest ? -1 : !strcmp(rest, "/int8") ? 1 : !strcmp(rest, "/f32") ? 0 : -2;
}

int mdm_device_parse(const char *s, int *index) {
    *index = -1;
    if (!s || strcmp(s, "cpu") == 0)
        return 0;
    if (strncmp(s, "opencl", 6) != 0)
        return -1;
    if (s[6] != ':')
        return int8_suffix(s + 6) >= -1 ? 1 : -1;
    if (s[7] < '0' || s[7] > '9')
        return -1;
    char *end;
    long n = strtol(s + 7, &end, 10);
    if (int8_suffix(end) < -1 || n > 1000)
        return -1;
    *index = (int)n;
    return 1;
}

int mdm_device_int8(const char *s) {
    int index;
    if (mdm_device_parse(s, &index) != 1)
        return -1;
    const char *slash = strchr(s, '/');
    return slash ? int8_suffix(slash) : -1;
}

static void say(const mdm_ctx_params *p, const char *why) {
    if (p->err && p->err_len)
        mdm_fmt(p->err, p->err_len, "%s", why);
}

mdm_status mdm_device_attach(mdm_ctx *ctx, const mdm_ctx_params *p) {
    int index;
    int kind = mdm_device_parse(p->device, &index);
    mdm_fmt(ctx->device, sizeof ctx->device, "cpu");
    ctx->ocl = NULL;
    if (kind == 0)
        return MDM_OK;
    if (kind < 0) {
        say(p, "device must be cpu, opencl or opencl:N");
        return MDM_ERR_INVALID_ARG;
    }
#ifdef MDM_OPENCL
    char local[256], *err = p->err && p->err_len ? p->err : local;
    size_t err_len = p->err && p->err_len ? p->err_len : sizeof local;
    mdm_ocl *o;
    mdm_status st = mdm_ocl_open(index, &o, err, err_len);
    if (st == MDM_OK) {
        mdm_ocl_set_int8(o, mdm_device_int8(p->device));
        if ((st = mdm_ocl_load(o, ctx->m, &ctx->dn, err, err_len)) != MDM_OK)
            mdm_ocl_close(o);
    }
    if (st != MDM_OK)
        return st;
    ctx->ocl = o;
    mdm_fmt(ctx->device, sizeof ctx->device, "%s%s", o->name,
            !o->int8 ? "" : o->int_dot ? " [int8 dot]" : " [int8 portable]");
    return MDM_OK;
#else
    say(p, "this build has no OpenCL (rebuild with make OPENCL=1)");
    return MDM_ERR_UNSUPPORTED;
#endif
}

void mdm_device_detach(mdm_ctx *ctx) {
#ifdef MDM_OPENCL
    mdm_ocl_close(ctx->ocl);
#endif
    ctx->ocl = NULL;
}

mdm_status mdm_device_forward(mdm_ctx *ctx, const mdm_den_io *io) {
#ifdef MDM_OPENCL
    if (ctx->ocl)
        return mdm_ocl_forward(ctx->ocl, io);
#endif
    (void)ctx, (void)io;
    return MDM_ERR_INTERNAL;
}

mdm_status mdm_device_vae(mdm_ctx *ctx, int decoder, const float *in, float *out, size_t n_out) {
#ifdef MDM_OPENCL
    if (ctx->ocl)
        return mdm_ocl_vae(ctx->ocl, decoder, in, out, n_out);
#endif
    (void)ctx, (void)decoder, (void)in, (void)out, (void)n_out;
    return MDM_ERR_INTERNAL;
}

const char *mdm_ctx_device(const mdm_ctx *ctx) { return ctx ? ctx->device : ""; }

mdm_status mdm_devices(mdm_device_info *out, int max, int *n) {
    if (!n || max < 0 || (!out && max))
        return MDM_ERR_INVALID_ARG;
    *n = 0;
#ifdef MDM_OPENCL
    cl_device_id ids[64];
    int count = mdm_ocl_devices(ids, 64);
    *n = count;
    for (int i = 0; i < count && i < max && i < 64; i++)
        mdm_ocl_describe(ids[i], i, &out[i]);
    return MDM_OK;
#else
    return MDM_ERR_UNSUPPORTED;
#endif
}
