/* Where a context runs: the CPU (the kernels of src/kernels) or an OpenCL
 * device (src/opencl, in builds with make OPENCL=1).  This part is in
 * every build; without OpenCL it says so instead of running. */
#ifndef MDM_DEVICE_H
#define MDM_DEVICE_H
#include "context.h"

/* "cpu"/NULL -> 0; "opencl" -> 1 with *index -1; "opencl:N" -> 1 with N;
 * either may end in "/int8" or "/f32" (the matmuls of Q8_0/Q4_0 weights);
 * anything else -1. */
int mdm_device_parse(const char *s, int *index);
/* That suffix: 1 "/int8", 0 "/f32", -1 none (the device's default). */
int mdm_device_int8(const char *s);

/* Opens the device of p->device for ctx (nothing for the CPU), writing why
 * it cannot into p->err. */
mdm_status mdm_device_attach(mdm_ctx *ctx, const mdm_ctx_params *p);
void mdm_device_detach(mdm_ctx *ctx);

/* One denoiser forward, or a VAE pass (mdm_ocl_vae), on ctx's device. */
mdm_status mdm_device_forward(mdm_ctx *ctx, const mdm_den_io *io);
mdm_status mdm_device_vae(mdm_ctx *ctx, int decoder, const float *in, float *out, size_t n_out);

#endif
