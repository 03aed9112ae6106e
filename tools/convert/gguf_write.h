/* A GGUF v3 writer that streams tensor data: keys and tensor infos are
 * collected first, the header is written, then each tensor's bytes in the
 * order they were declared; the CRC of the data section is patched into
 * its key at the end. */
#ifndef MDM_CONVERT_GGUF_WRITE_H
#define MDM_CONVERT_GGUF_WRITE_H
#include "kernels/quant.h"
#include "mdm_rt.h"
#include <stdint.h>
#include <stdio.h>

/* Output: a FILE (seekable) or a growing memory buffer (f == NULL). */
typedef struct {
    FILE *f;
    uint8_t *mem;
    size_t len, cap;
    uint64_t pos;
    int failed; /* write error or out of memory */
} gw_sink;

typedef struct {
    uint8_t *b;
    size_t len, cap;
} gw_buf;

typedef struct {
    gw_buf kv, ti;
    uint64_t n_kv, n_tensors;
    uint32_t alignment;
    size_t crc_pos;    /* of the CRC value inside kv; 0 = none */
    uint64_t crc_abs;  /* its position in the output */
    uint64_t data_size, data_written;
    uint32_t crc;
    int oom;
} gw_writer;

void gw_init(gw_writer *w, uint32_t alignment);
void gw_free(gw_writer *w);

void gw_u32(gw_writer *w, const char *key, uint32_t v);
void gw_f32(gw_writer *w, const char *key, float v);
void gw_str(gw_writer *w, const char *key, const char *s);
void gw_arr_str(gw_writer *w, const char *key, const char *const *s, size_t n);
void gw_arr_i32(gw_writer *w, const char *key, const int32_t *v, size_t n);
void gw_arr_f32(gw_writer *w, const char *key, const float *v, size_t n);
/* A u32 key whose value becomes the CRC-32 of the tensor data section. */
void gw_crc_key(gw_writer *w, const char *key);
/* Declares the next tensor; returns its byte size. */
uint64_t gw_tensor(gw_writer *w, const char *name, int n_dims, const int64_t *ne, mdm_type type);

/* Writes the header; then gw_data() each tensor's bytes in order. */
mdm_status gw_begin(gw_writer *w, gw_sink *s);
void gw_data(gw_writer *w, gw_sink *s, const void *p, size_t n);
/* Pads after a tensor (call after each tensor's last gw_data). */
void gw_pad(gw_writer *w, gw_sink *s);
/* Patches the CRC; MDM_ERR_IO / MDM_ERR_NO_MEMORY if any write failed. */
mdm_status gw_finish(gw_writer *w, gw_sink *s);
#endif
