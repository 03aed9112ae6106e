/* A GGUF v3 reader over a memory buffer that trusts no count.
 *
 * Layout (all little-endian; string = u64 length + bytes, no NUL):
 *   "GGUF" u32 version=3  u64 n_tensors  u64 n_kv
 *   n_kv x      { string key; u32 value_type; value }
 *   n_tensors x { string name; u32 n_dims; u64 ne[n_dims]; u32 type; u64 offset }
 *   zero padding to general.alignment (default 32)
 *   tensor data: each tensor at data_start + offset, offset % alignment == 0
 * A value is a scalar, a string, or an array { u32 elem_type; u64 n; n elems }.
 *
 * mdm_gguf_open() checks every length against the bytes left, every size
 * computation for overflow, and every tensor's name, rank, dims, type,
 * alignment and extent against the buffer, and that no two tensors share a
 * name or a byte.  Afterwards the views below can be used without checks. */
#ifndef MDM_MODEL_GGUF_H
#define MDM_MODEL_GGUF_H
#include "mdm_rt.h"
#include "model/alloc.h"
#include <stddef.h>
#include <stdint.h>

enum {
    MDM_GGUF_UINT8 = 0, MDM_GGUF_INT8 = 1, MDM_GGUF_UINT16 = 2, MDM_GGUF_INT16 = 3,
    MDM_GGUF_UINT32 = 4, MDM_GGUF_INT32 = 5, MDM_GGUF_FLOAT32 = 6, MDM_GGUF_BOOL = 7,
    MDM_GGUF_STRING = 8, MDM_GGUF_ARRAY = 9, MDM_GGUF_UINT64 = 10, MDM_GGUF_INT64 = 11,
    MDM_GGUF_FLOAT64 = 12,
};

#define MDM_GGUF_VERSION 3
#define MDM_GGUF_DEFAULT_ALIGNMENT 32
#define MDM_GGUF_MIN_ALIGNMENT 32   /* the spec's floor for model files */
#define MDM_GGUF_MAX_ALIGNMENT 65536
#define MDM_GGUF_MAX_TENSORS 65536
#define MDM_GGUF_MAX_KV 65536
#define MDM_GGUF_MAX_KEY 256          /* bytes */
#define MDM_GGUF_MAX_STRING (1u << 24) /* bytes of one string value */
#define MDM_GGUF_MAX_ARRAY (1u << 26)  /* elements of one array */
#define MDM_GGUF_MAX_NAME 63          /* tensor name bytes (ggml: < 64) */
#define MDM_GGUF_MAX_DIMS 4

typedef struct {
    const char *key; /* NUL-terminated copy, owned by the mdm_gguf */
    uint32_t type;
    uint32_t arr_type; /* element type when type == ARRAY */
    uint64_t arr_n;
    const uint8_t *val; /* in the buffer: the scalar, string length, or first element */
    uint64_t val_bytes; /* bytes of the whole value (arrays: without their 12-byte header) */
} mdm_gguf_kv;

typedef struct {
    char name[MDM_GGUF_MAX_NAME + 1];
    uint32_t n_dims;
    int64_t ne[MDM_GGUF_MAX_DIMS]; /* unused dims are 1 */
    uint32_t type;
    uint64_t offset; /* from data_offset */
    uint64_t nbytes;
    const uint8_t *data;
} mdm_gguf_tensor;

typedef struct mdm_gguf {
    const uint8_t *base;
    size_t size;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    mdm_gguf_kv *kv;
    mdm_gguf_tensor *tensors;
    uint32_t *kv_sorted;     /* kv indices by key, for lookup */
    uint32_t *tensor_sorted; /* tensor indices by name */
    char *key_store;
    uint32_t alignment;
    uint64_t data_offset; /* start of the tensor data section */
    uint64_t data_size;   /* size - data_offset */
    mdm_allocator al;     /* the tables above come from here */
} mdm_gguf;

/* On failure g is left empty and err names the key or tensor. */
mdm_status mdm_gguf_open(mdm_gguf *g, const void *data, size_t size, char *err, size_t err_len);
/* The same with the tables from al (NULL: the port's heap). */
mdm_status mdm_gguf_open_with(mdm_gguf *g, const mdm_allocator *al, const void *data, size_t size,
                              char *err, size_t err_len);
void mdm_gguf_close(mdm_gguf *g);

const mdm_gguf_kv *mdm_gguf_find_kv(const mdm_gguf *g, const char *key);
/* Index into g->tensors, or -1. */
long mdm_gguf_find_tensor(const mdm_gguf *g, const char *name);

/* Typed getters: MDM_ERR_MISSING_KEY, MDM_ERR_BAD_KEY_TYPE (err names the key). */
mdm_status mdm_gguf_get_u32(const mdm_gguf *g, const char *key, uint32_t *out, char *err, size_t len);
mdm_status mdm_gguf_get_f32(const mdm_gguf *g, const char *key, float *out, char *err, size_t len);
/* A string value: pointer into the buffer, not NUL-terminated. */
mdm_status mdm_gguf_get_str(const mdm_gguf *g, const char *key, const char **s, uint64_t *n,
                            char *err, size_t len);
/* An array of elem_type; n elements. */
mdm_status mdm_gguf_get_arr(const mdm_gguf *g, const char *key, uint32_t elem_type,
                            const mdm_gguf_kv **kv, char *err, size_t len);

/* Little-endian reads from the buffer (no alignment assumed). */
uint32_t mdm_gguf_rd_u32(const uint8_t *p);
uint64_t mdm_gguf_rd_u64(const uint8_t *p);
float mdm_gguf_rd_f32(const uint8_t *p);

#endif
