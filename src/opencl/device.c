/* OpenCL platforms and devices: one flat list, platforms in the ICD
 * loader's order and each platform's devices in its order, so that
 * "opencl:N" names the same device as line N of `mdm devices`. */
#include "opencl/ocl.h"
#include <stdio.h>
#include <string.h>

#define MAX_PLATFORMS 16

int mdm_ocl_devices(cl_device_id *out, int max) {
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint np = 0;
    if (clGetPlatformIDs(MAX_PLATFORMS, plats, &np) != CL_SUCCESS)
        return 0; /* the loader says CL_PLATFORM_NOT_FOUND_KHR when there is no ICD */
    int n = 0;
    for (cl_uint p = 0; p < np && p < MAX_PLATFORMS; p++) {
        cl_device_id ids[64];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 64, ids, &nd) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < nd && d < 64; d++, n++)
            if (n < max)
                out[n] = ids[d];
    }
    return n;
}

int mdm_ocl_default_device(void) {
    cl_device_id ids[64];
    int n = mdm_ocl_devices(ids, 64);
    for (int i = 0; i < n && i < 64; i++) {
        cl_device_type t = 0;
        if (clGetDeviceInfo(ids[i], CL_DEVICE_TYPE, sizeof t, &t, NULL) == CL_SUCCESS &&
            (t & CL_DEVICE_TYPE_GPU))
            return i;
    }
    return n > 0 ? 0 : -1;
}

static void info_str(cl_device_id d, cl_device_info what, char *dst, size_t cap) {
    dst[0] = 0;
    if (clGetDeviceInfo(d, what, cap, dst, NULL) != CL_SUCCESS)
        dst[0] = 0;
    dst[cap - 1] = 0;
}

/* Whether the space-separated extension list has ext. */
static int has_ext(const char *list, const char *ext) {
    size_t n = strlen(ext);
    for (const char *p = strstr(list, ext); p; p = strstr(p + 1, ext))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
            return 1;
    return 0;
}

int mdm_ocl_int_dot_kind(cl_device_id d) {
    char ext[8192];
    info_str(d, CL_DEVICE_EXTENSIONS, ext, sizeof ext);
    return has_ext(ext, "cl_khr_integer_dot_product")        ? 1
           : has_ext(ext, "cl_arm_integer_dot_product_int8") ? 2
                                                              : 0;
}

/* OpenCL 3.0's list of the device's optional OpenCL C features (names such
 * as __opencl_c_integer_dot_product_input_4x8bit, which the compiler
 * defines as macros under -cl-std=CL3.0), declared here so that the build
 * targets OpenCL 1.2 headers; an older device answers with an error. */
#define MDM_CL_DEVICE_OPENCL_C_FEATURES 0x106F
typedef struct {
    cl_uint version;
    char name[64];
} c_feature;

int mdm_ocl_c_feature(cl_device_id d, const char *name) {
    c_feature f[64];
    size_t n = 0;
    if (clGetDeviceInfo(d, MDM_CL_DEVICE_OPENCL_C_FEATURES, sizeof f, f, &n) != CL_SUCCESS)
        return 0;
    for (size_t i = 0; i < n / sizeof f[0] && i < 64; i++)
        if (strncmp(f[i].name, name, sizeof f[i].name) == 0)
            return 1;
    return 0;
}

void mdm_ocl_describe(cl_device_id d, int index, mdm_device_info *out) {
    static const size_t ext_cap = 8192;
    char ext[8192];
    cl_platform_id p = NULL;
    cl_device_type t = 0;
    cl_ulong gmem = 0, lmem = 0;
    cl_uint cu = 0;
    memset(out, 0, sizeof *out);
    out->index = index;
    info_str(d, CL_DEVICE_NAME, out->name, sizeof out->name);
    info_str(d, CL_DEVICE_VERSION, out->version, sizeof out->version);
    if (clGetDeviceInfo(d, CL_DEVICE_PLATFORM, sizeof p, &p, NULL) == CL_SUCCESS &&
        clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof out->platform, out->platform, NULL) !=
            CL_SUCCESS)
        out->platform[0] = 0;
    out->platform[sizeof out->platform - 1] = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    info_str(d, CL_DEVICE_EXTENSIONS, ext, ext_cap);
    out->is_gpu = (t & CL_DEVICE_TYPE_GPU) != 0;
    out->global_mem = gmem;
    out->local_mem = lmem;
    out->compute_units = (int)cu;
    out->fp16 = has_ext(ext, "cl_khr_fp16");
    out->subgroups = has_ext(ext, "cl_khr_subgroups") || has_ext(ext, "cl_intel_subgroups");
    out->int_dot = has_ext(ext, "cl_khr_integer_dot_product") ||
                   has_ext(ext, "cl_arm_integer_dot_product_int8");
}
