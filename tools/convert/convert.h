/* mdm-convert's pipeline: a source (a reference checkpoint or a random
 * preset) supplies hyper-parameters, vocabulary and tensor values; cv_write
 * turns them into a model file of one weight type. */
#ifndef MDM_CONVERT_CONVERT_H
#define MDM_CONVERT_CONVERT_H
#include "gguf_write.h"
#include "model/arch.h"

typedef struct cv_source {
    mdm_model m; /* hp, vae_enc, vae_dec, layers: shapes only, no data */
    char name[64]; /* general.name */
    int n_vocab;
    char **pieces; /* NUL-terminated UTF-8 */
    float *scores;
    int32_t *types;
    int pad_id, unk_id, eos_id;
    /* Fills dst with the tensor's count values, PyTorch row-major order. */
    mdm_status (*fill)(struct cv_source *src, const mdm_tensor_spec *s, float *dst, size_t count,
                       char *err, size_t len);
    void (*close)(struct cv_source *src);
    void *ctx;
    /* Tests only: alters the tensor list (drop, add, reshape, reclass)
     * before writing, to craft invalid files with a valid CRC. */
    void (*edit)(struct cv_source *src, mdm_tensor_spec *specs, size_t *n);
} cv_source;

/* Checks the source, then writes the model.  err names what is wrong. */
mdm_status cv_write(cv_source *src, mdm_type type, gw_sink *sink, char *err, size_t len);
void cv_source_free(cv_source *src);

/* Sources.  Presets: tiny, S, paper (spec section 1) and micro (a minimal
 * model for tests and fuzz seeds).  Both fully validate the input before anything is written. */
mdm_status cv_preset(cv_source *src, const char *preset, uint64_t seed, char *err, size_t len);
/* The same at another image size (0: the preset's), a multiple of
 * vae_factor * patch_size: the sequence grows with it (spec section 2). */
mdm_status cv_preset_sized(cv_source *src, const char *preset, uint64_t seed, int image_size,
                           char *err, size_t len);
mdm_status cv_checkpoint(cv_source *src, const char *dir, char *err, size_t len);

/* The PyTorch shape of a tensor spec (reverse of GGUF order; VAE conv
 * weights un-flattened to [CO, CI, 3, 3]). Returns the rank. */
int cv_torch_shape(const mdm_tensor_spec *s, int64_t shape[4]);
/* Allocates src->m.layers and checks hp (finishing it) and both VAE lists. */
mdm_status cv_check_model(cv_source *src, char *err, size_t len);
/* Allocates the vocabulary arrays for n pieces. */
mdm_status cv_alloc_vocab(cv_source *src, int n);
#endif
