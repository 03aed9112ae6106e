/*
 * mdm_rt.h — the public interface of mdm-rt, a dependency-free C runtime for
 * MDM (Multi-modal Diffusion Mamba) models.  See README.md and
 * docs/FORMAT.md.  The model itself is defined in the project's MDM spec.
 *
 * Conventions
 * - Every function returns an mdm_status (MDM_OK == 0) unless documented.
 * - Nothing in the library prints, exits or keeps global mutable state.
 * - Handles are opaque; *_free(NULL) is harmless.
 */
#ifndef MDM_RT_H
#define MDM_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: stable numbers, one X-macro so names and messages cannot drift. */
#define MDM_STATUS_LIST(X)                                                        \
    X(MDM_OK, 0, "ok")                                                            \
    X(MDM_ERR_INVALID_ARG, 1, "invalid argument")                                 \
    X(MDM_ERR_NO_MEMORY, 2, "out of memory")                                      \
    X(MDM_ERR_IO, 3, "I/O error")                                                 \
    X(MDM_ERR_TRUNCATED, 4, "file is truncated")                                  \
    X(MDM_ERR_BAD_MAGIC, 5, "bad magic: not a GGUF file")                         \
    X(MDM_ERR_BAD_VERSION, 6, "unsupported GGUF version")                         \
    X(MDM_ERR_BAD_COUNT, 7, "tensor or key count out of range")                   \
    X(MDM_ERR_BAD_STRING, 8, "string length out of range")                        \
    X(MDM_ERR_BAD_KEY_TYPE, 9, "metadata value has an unknown or wrong type")     \
    X(MDM_ERR_BAD_ARRAY, 10, "metadata array length or type out of range")        \
    X(MDM_ERR_DUPLICATE_KEY, 11, "duplicate metadata key")                        \
    X(MDM_ERR_MISSING_KEY, 12, "required metadata key is missing")                \
    X(MDM_ERR_BAD_VALUE, 13, "metadata value out of range")                       \
    X(MDM_ERR_BAD_ARCH, 14, "architecture is not mdm")                            \
    X(MDM_ERR_BAD_TENSOR_NAME, 15, "tensor name invalid or unknown")              \
    X(MDM_ERR_DUPLICATE_TENSOR, 16, "duplicate tensor")                           \
    X(MDM_ERR_MISSING_TENSOR, 17, "required tensor is missing")                   \
    X(MDM_ERR_BAD_TENSOR_TYPE, 18, "tensor type unknown or not allowed")          \
    X(MDM_ERR_BAD_SHAPE, 19, "tensor rank or shape is wrong")                     \
    X(MDM_ERR_OVERFLOW, 20, "size computation overflows")                         \
    X(MDM_ERR_BAD_OFFSET, 21, "tensor data lies outside the file")                \
    X(MDM_ERR_MISALIGNED, 22, "tensor data is misaligned")                        \
    X(MDM_ERR_BAD_ALIGNMENT, 23, "alignment value invalid")                       \
    X(MDM_ERR_CRC, 24, "tensor data CRC mismatch")                                \
    X(MDM_ERR_OVERLAP, 25, "tensor data regions overlap")                         \
    X(MDM_ERR_BAD_JSON, 26, "malformed JSON")                                     \
    X(MDM_ERR_BAD_SAFETENSORS, 27, "malformed safetensors file")                  \
    X(MDM_ERR_BAD_IMAGE, 28, "malformed or unsupported image")                    \
    X(MDM_ERR_IMAGE_TOO_LARGE, 29, "image dimensions too large")                  \
    X(MDM_ERR_TEXT_TOO_LONG, 30, "text does not fit the model's text positions")  \
    X(MDM_ERR_BAD_VOCAB, 31, "tokenizer vocabulary invalid")                      \
    X(MDM_ERR_BUFFER_TOO_SMALL, 32, "caller buffer too small")                    \
    X(MDM_ERR_CANCELLED, 33, "cancelled by the progress callback")                \
    X(MDM_ERR_UNSUPPORTED, 34, "not supported by this model or build")           \
    X(MDM_ERR_INTERNAL, 35, "internal error")                                     \
    X(MDM_ERR_BAD_FORMAT_VERSION, 36, "unsupported mdm model-file format version")

typedef enum {
#define MDM_STATUS_ENUM(name, num, msg) name = num,
    MDM_STATUS_LIST(MDM_STATUS_ENUM)
#undef MDM_STATUS_ENUM
} mdm_status;

/* A static English message for a status; never NULL. */
const char *mdm_strerror(mdm_status status);

/* ===================================================================== */
/* Model files                                                            */
/* ===================================================================== */
/* A model file is GGUF v3 with architecture "mdm" (docs/FORMAT.md).  Opening
 * checks the whole container against the buffer size, then every key and
 * every tensor of the model (presence, type, exact shape); on failure the
 * err buffer (may be NULL) names the key or tensor.  Tensor data is never
 * copied: a model opened from memory points into the caller's buffer, which
 * must stay valid and unchanged until mdm_model_free(). */
typedef struct mdm_model mdm_model;

typedef struct {
    int verify_crc; /* check mdm.data_crc32 over the tensor data (default 1) */
} mdm_model_params;

mdm_model_params mdm_model_params_init(void);

mdm_status mdm_model_open_file(const char *path, const mdm_model_params *p, mdm_model **out,
                               char *err, size_t err_len);
mdm_status mdm_model_open_memory(const void *data, size_t size, const mdm_model_params *p,
                                 mdm_model **out, char *err, size_t err_len);
void mdm_model_free(mdm_model *m);

/* CRC state of an open model (a mismatch fails the open with MDM_ERR_CRC). */
enum { MDM_CRC_NOT_CHECKED = 0, MDM_CRC_OK = 1 };

typedef struct {
    int image_size, image_channels, vae_factor, latent_channels, patch_size;
    int text_len, vocab_size, d_model, n_layer, expand, d_state, d_conv, dt_rank;
    float norm_eps, vae_scaling_factor, vae_gn_eps;
    int scan_orders[4];
    int n_image_tokens, seq_len;
    int n_vae_encoder_blocks, n_vae_decoder_blocks;
    uint32_t format_version, file_type, alignment, data_crc32;
    int crc_state;               /* MDM_CRC_* */
    uint64_t file_size, data_size; /* whole buffer; tensor data section */
} mdm_model_info;

void mdm_model_get_info(const mdm_model *m, mdm_model_info *out);
/* "conv:1:32" etc. into buf (always NUL-terminated); MDM_ERR_INVALID_ARG for a bad index. */
mdm_status mdm_model_vae_block(const mdm_model *m, int decoder, int i, char *buf, size_t len);

typedef struct {
    const char *name;      /* NUL-terminated, owned by the model */
    uint32_t type;         /* ggml type id: 0 F32, 1 F16, 2 Q4_0, 8 Q8_0 */
    const char *type_name; /* "f32", "f16", "q4_0", "q8_0" */
    int n_dims;
    int64_t ne[4];         /* GGUF order: ne[0] innermost */
    uint64_t offset;       /* from the start of the tensor data section */
    uint64_t bytes;
} mdm_tensor_info;

size_t mdm_model_n_tensors(const mdm_model *m);
/* Tensors in file order; MDM_ERR_INVALID_ARG when i is out of range. */
mdm_status mdm_model_tensor(const mdm_model *m, size_t i, mdm_tensor_info *out);

#ifdef __cplusplus
}
#endif
#endif /* MDM_RT_H */
