/* A device session: context, queue, program, buffers, and the count of
 * live OpenCL objects that mdm_ocl_close brings back to zero. */
#include "opencl/ocl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mdm_ocl_note(mdm_ocl *o, cl_int e) {
    if (e != CL_SUCCESS && o->error == CL_SUCCESS)
        o->error = e;
}

mdm_status mdm_ocl_open(int index, mdm_ocl **out, char *err, size_t err_len) {
    return mdm_ocl_open_dot(index, -1, out, err, err_len);
}

mdm_status mdm_ocl_open_dot(int index, int int_dot, mdm_ocl **out, char *err, size_t err_len) {
    cl_device_id ids[64];
    int n = mdm_ocl_devices(ids, 64);
    *out = NULL;
    if (index < 0)
        index = mdm_ocl_default_device();
    if (n == 0 || index < 0) {
        snprintf(err, err_len, "no OpenCL platform or device (install a driver's ICD, e.g. "
                               "pocl-opencl-icd)");
        return MDM_ERR_NO_DEVICE;
    }
    if (index >= n || index >= 64) {
        snprintf(err, err_len, "no OpenCL device %d: there are %d (see mdm devices)", index, n);
        return MDM_ERR_NO_DEVICE;
    }
    mdm_ocl *o = calloc(1, sizeof *o);
    if (!o)
        return MDM_ERR_NO_MEMORY;
    o->device = ids[index];
    mdm_device_info di;
    mdm_ocl_describe(o->device, index, &di);
    snprintf(o->name, sizeof o->name, "opencl:%d %s", index, di.name);
    cl_int e;
    o->context = clCreateContext(NULL, 1, &o->device, NULL, NULL, &e);
    if (o->context)
        o->live++;
    if (e == CL_SUCCESS) {
        o->queue = clCreateCommandQueue(o->context, o->device, 0, &e);
        if (o->queue)
            o->live++;
    }
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(o->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof o->max_group,
                            &o->max_group, NULL);
    if (e != CL_SUCCESS) {
        snprintf(err, err_len, "%s: cannot create a context and queue (OpenCL error %d)",
                 o->name, (int)e);
        mdm_ocl_close(o);
        return MDM_ERR_DEVICE;
    }
    if (o->max_group < 256) {
        snprintf(err, err_len, "%s: work-groups of 256 are needed, the device allows %zu",
                 o->name, o->max_group);
        mdm_ocl_close(o);
        return MDM_ERR_UNSUPPORTED;
    }
    o->int_dot = int_dot < 0 ? mdm_ocl_int_dot_kind(o->device) : int_dot;
    mdm_status st = mdm_ocl_build(o, err, err_len); /* may fall back to int_dot 0 */
    if (st != MDM_OK) {
        mdm_ocl_close(o);
        return st;
    }
    mdm_ocl_set_int8(o, -1);
    *out = o;
    return MDM_OK;
}

void mdm_ocl_set_int8(mdm_ocl *o, int mode) { o->int8 = mode < 0 ? o->int_dot != 0 : mode != 0; }

cl_mem mdm_ocl_buffer(mdm_ocl *o, size_t n, const void *host) {
    cl_int e;
    if (o->n_buffers == OCL_MAX_BUFFERS) {
        mdm_ocl_note(o, CL_OUT_OF_RESOURCES);
        return NULL;
    }
    cl_mem_flags f = CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0);
    cl_mem m = clCreateBuffer(o->context, f, n ? n : 4, (void *)host, &e);
    mdm_ocl_note(o, e);
    if (!m)
        return NULL;
    o->live++;
    o->buffers[o->n_buffers++] = m;
    return m;
}

static void release_counted(mdm_ocl *o, cl_int e) {
    if (e == CL_SUCCESS)
        o->live--;
}

void mdm_ocl_release_buffers(mdm_ocl *o, int keep) {
    clFinish(o->queue);
    while (o->n_buffers > keep)
        release_counted(o, clReleaseMemObject(o->buffers[--o->n_buffers]));
}

int mdm_ocl_close(mdm_ocl *o) {
    if (!o)
        return 0;
    if (o->queue)
        clFinish(o->queue);
    for (int i = 0; i < o->n_buffers; i++)
        release_counted(o, clReleaseMemObject(o->buffers[i]));
    for (int i = 0; i < OCL_N_KERNELS; i++)
        if (o->kernels[i])
            release_counted(o, clReleaseKernel(o->kernels[i]));
    if (o->program)
        release_counted(o, clReleaseProgram(o->program));
    if (o->queue)
        release_counted(o, clReleaseCommandQueue(o->queue));
    if (o->context)
        release_counted(o, clReleaseContext(o->context));
    int left = o->live;
    free(o->stage);
    free(o->stage_i);
    free(o);
    return left;
}

mdm_status mdm_ocl_check(mdm_ocl *o) {
    mdm_ocl_note(o, clFinish(o->queue));
    cl_int e = o->error;
    o->error = CL_SUCCESS;
    return e == CL_SUCCESS ? MDM_OK : MDM_ERR_DEVICE;
}

void mdm_ocl_write(mdm_ocl *o, cl_mem m, size_t off, size_t n, const void *src) {
    mdm_ocl_note(o, clEnqueueWriteBuffer(o->queue, m, CL_TRUE, off, n, src, 0, NULL, NULL));
}

void mdm_ocl_read(mdm_ocl *o, cl_mem m, size_t off, size_t n, void *dst) {
    mdm_ocl_note(o, clEnqueueReadBuffer(o->queue, m, CL_TRUE, off, n, dst, 0, NULL, NULL));
}
