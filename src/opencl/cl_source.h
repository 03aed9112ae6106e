/* The OpenCL C sources of the device kernels, embedded by hand as C
 * strings (no generator: make and cc are all the build needs).  CL_SOURCE
 * turns its argument into a string, so each file reads as OpenCL C.
 * program.c passes all parts to one clCreateProgramWithSource. */
#ifndef MDM_OPENCL_CL_SOURCE_H
#define MDM_OPENCL_CL_SOURCE_H

#define CL_SOURCE(...) #__VA_ARGS__

extern const char mdm_cl_common[]; /* weight decoding shared by the kernels */
extern const char mdm_cl_matmul[];
extern const char mdm_cl_mamba[];  /* rmsnorm, conv1d, scan, activations, embeddings */
extern const char mdm_cl_vae[];    /* conv2d, groupnorm, upsample */
extern const char mdm_cl_int8_dot[]; /* IDOT4: the device's 4x8-bit dot product, or a portable one */
extern const char mdm_cl_int8[];   /* activation quantization, int8 matmul */

#endif
