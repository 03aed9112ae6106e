/* What an MDM model consists of, shared by the loader and mdm-convert so
 * that the two cannot disagree: hyper-parameter limits, the VAE block
 * grammar, and the list of tensors (name, GGUF shape, type class) that a
 * set of hyper-parameters implies. */
#ifndef MDM_MODEL_ARCH_H
#define MDM_MODEL_ARCH_H
#include "model/model.h"

#define MDM_FORMAT_VERSION 1
#define MDM_TOKENIZER_MODEL "mdm-unigram"
#define MDM_MAX_LAYERS 1024

/* Checks ranges and divisibility, fills the derived fields.  MDM_ERR_BAD_VALUE
 * with err naming the key (its config.json name). */
mdm_status mdm_hparams_finish(mdm_hparams *hp, char *err, size_t err_len);

/* One block string ("conv:1:32", "res:64", "gn:64:8", "silu", ...). */
mdm_status mdm_vae_parse_block(const char *s, size_t n, mdm_vae_block *b);
/* The block's string, NUL-terminated; returns the length. */
int mdm_vae_format_block(const mdm_vae_block *b, char *buf, size_t len);
/* Channel chaining and resampling count: the encoder maps image_channels
 * to 2*latent_channels with log2(vae_factor) "down" blocks, the decoder
 * latent_channels to image_channels with as many "up" blocks. */
mdm_status mdm_vae_check(const mdm_hparams *hp, const mdm_vae_stack *v, int decoder, char *err,
                         size_t err_len);

typedef enum {
    MDM_TCLASS_F32,   /* F32 at every level */
    MDM_TCLASS_QUANT, /* F32, F16; Q8_0/Q4_0 when ne[0] % 32 == 0 */
} mdm_tclass;

typedef struct {
    char name[64];
    int n_dims;
    int64_t ne[4]; /* GGUF order; unused dims 1 */
    mdm_tclass tclass;
    mdm_tensor *slot; /* where the binding stores the view */
} mdm_tensor_spec;

/* Every tensor of the model in file order, each passed to emit (the spec is
 * a temporary).  m->hp (finished), m->vae_enc, m->vae_dec and m->layers
 * (n_layer entries) must be set; slots point into m. */
void mdm_arch_each_tensor(mdm_model *m, void (*emit)(void *user, const mdm_tensor_spec *s),
                          void *user);
/* The same list as an array from mdm_port_alloc (malloc on POSIX; free it
 * with mdm_port_free or free), with room for one more entry.  MDM_ERR_NO_MEMORY or MDM_OK. */
mdm_status mdm_arch_tensors(mdm_model *m, mdm_tensor_spec **out, size_t *n);

int mdm_arch_type_allowed(const mdm_tensor_spec *s, mdm_type t);
/* The type mdm-convert stores for a requested file type. */
mdm_type mdm_arch_pick_type(const mdm_tensor_spec *s, mdm_type requested);

/* general.file_type (llama.cpp's numbering) for a requested type, and back. */
uint32_t mdm_file_type_of(mdm_type t);

/* The integer hyper-parameters as GGUF keys and their place in mdm_hparams:
 * one table for the loader (hparams_read.c) and the writer (mdm-convert). */
typedef struct { const char *key; size_t off; } mdm_hparam_int;
#define MDM_N_HPARAM_INTS 13
extern const mdm_hparam_int mdm_hparam_ints[MDM_N_HPARAM_INTS];
#endif
