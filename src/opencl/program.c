/* The device program: built once per session from the embedded sources;
 * a failed build reports the driver's log. */
#include "opencl/cl_source.h"
#include "opencl/ocl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kernel_names[OCL_N_KERNELS] = {
    [OCL_MATMUL] = "mdm_matmul",         [OCL_RMSNORM] = "mdm_rmsnorm",
    [OCL_CONV1D] = "mdm_conv1d",         [OCL_SCAN] = "mdm_scan",
    [OCL_ACT] = "mdm_act",               [OCL_GATE] = "mdm_gate",
    [OCL_GATHER] = "mdm_gather",         [OCL_SCATTER_ADD] = "mdm_scatter_add",
    [OCL_EMBED_TEXT] = "mdm_embed_text", [OCL_PATCH] = "mdm_patch",
    [OCL_ADD_ROWS] = "mdm_add_rows",     [OCL_CONV2D] = "mdm_conv2d",
    [OCL_GROUPNORM] = "mdm_groupnorm",   [OCL_UPSAMPLE] = "mdm_upsample",
    [OCL_ADD] = "mdm_add",               [OCL_QUANT_ACT] = "mdm_quant_act",
    [OCL_MATMUL_I8] = "mdm_matmul_i8",
};

/* Builds the program with the int8 dot product o->int_dot names. */
static cl_int build_once(mdm_ocl *o) {
    const char *src[] = {mdm_cl_int8_dot, mdm_cl_common, mdm_cl_matmul, mdm_cl_mamba, mdm_cl_vae,
                         mdm_cl_int8};
    cl_int e;
    o->program = clCreateProgramWithSource(o->context, 6, src, NULL, &e);
    if (!o->program)
        return e == CL_SUCCESS ? CL_OUT_OF_HOST_MEMORY : e;
    o->live++;
    /* No fast-math: the cross-device check's tolerances assume IEEE ops.
     * The khr dot product's built-ins are declared only where the compiler
     * defines its feature macro, which clang does for OpenCL C 2.0 and up,
     * so a device that lists the feature compiles as OpenCL C 3.0. */
    const int c3 = o->int_dot == 1 &&
                   mdm_ocl_c_feature(o->device, "__opencl_c_integer_dot_product_input_4x8bit");
    const char *opt = o->int_dot == 1   ? (c3 ? "-cl-std=CL3.0 -DMDM_CL_INT_DOT=1"
                                              : "-cl-std=CL1.2 -DMDM_CL_INT_DOT=1")
                      : o->int_dot == 2 ? "-cl-std=CL1.2 -DMDM_CL_INT_DOT=2"
                                        : "-cl-std=CL1.2";
    return clBuildProgram(o->program, 1, &o->device, opt, NULL, NULL);
}

mdm_status mdm_ocl_build(mdm_ocl *o, char *err, size_t err_len) {
    cl_int e = build_once(o);
    if (e != CL_SUCCESS && o->int_dot && o->program) {
        /* A driver that names the extension but does not compile its
         * built-in: the portable dot product, same integers. */
        if (clReleaseProgram(o->program) == CL_SUCCESS)
            o->live--;
        o->program = NULL;
        o->int_dot = 0;
        e = build_once(o);
    }
    if (!o->program) {
        snprintf(err, err_len, "%s: clCreateProgramWithSource failed (%d)", o->name, (int)e);
        return MDM_ERR_DEVICE;
    }
    if (e != CL_SUCCESS) {
        int n = snprintf(err, err_len, "%s: the kernels do not build (%d); build log:\n", o->name,
                         (int)e);
        size_t need = 0;
        clGetProgramBuildInfo(o->program, o->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &need);
        char *log = need ? malloc(need + 1) : NULL;
        if (log && clGetProgramBuildInfo(o->program, o->device, CL_PROGRAM_BUILD_LOG, need, log,
                                         NULL) == CL_SUCCESS && n >= 0 && (size_t)n < err_len) {
            log[need] = 0;
            snprintf(err + n, err_len - (size_t)n, "%s", log);
        }
        free(log);
        return MDM_ERR_DEVICE;
    }
    for (int i = 0; i < OCL_N_KERNELS; i++) {
        o->kernels[i] = clCreateKernel(o->program, kernel_names[i], &e);
        if (!o->kernels[i]) {
            snprintf(err, err_len, "%s: no kernel %s (%d)", o->name, kernel_names[i], (int)e);
            return MDM_ERR_DEVICE;
        }
        o->live++;
    }
    return MDM_OK;
}
