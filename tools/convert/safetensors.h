/* A safetensors reader over a memory buffer:
 *   u64 LE header length N, N bytes of JSON header, then the data buffer.
 *   header = { "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
 *              "__metadata__": {"key": "string", ...} (optional) }
 * Offsets are relative to the data buffer; the tensors must tile it exactly
 * (no gaps, no overlaps), as the format requires. */
#ifndef MDM_CONVERT_SAFETENSORS_H
#define MDM_CONVERT_SAFETENSORS_H
#include "json.h"

#define ST_MAX_HEADER (100u << 20) /* the format's own limit: 100 MB */
#define ST_MAX_RANK 8

typedef enum { ST_F32, ST_F16, ST_BF16 } st_dtype;

typedef struct {
    const char *name; /* into the parsed header */
    st_dtype dtype;
    int rank;
    int64_t shape[ST_MAX_RANK];
    uint64_t count;      /* elements */
    const uint8_t *data; /* unaligned in general */
    uint64_t nbytes;
} st_tensor;

typedef struct {
    st_tensor *tensors;
    size_t n;
    json_value *header;
} st_file;

/* MDM_ERR_BAD_SAFETENSORS (err names the tensor), MDM_ERR_UNSUPPORTED for a
 * dtype other than F32/F16/BF16, MDM_ERR_NO_MEMORY. */
mdm_status st_open(st_file *f, const void *data, size_t size, char *err, size_t err_len);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
/* Element i as f32. */
float st_get(const st_tensor *t, uint64_t i);
#endif
