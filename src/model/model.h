/* The loaded model: hyper-parameters, VAE block lists, vocabulary and one
 * typed view per tensor of docs/MODEL.md, every one checked for presence,
 * type and exact shape by mdm_model_open_*().  Tensor data is never copied:
 * views point into the mapped file or the caller's buffer.
 *
 * Shapes are in GGUF order: ne[0] is the innermost (last PyTorch) dim, so a
 * linear weight [out, in] has ne = {in, out}; row r starts at
 * r * mdm_type_row_bytes(type, ne[0]).  docs/FORMAT.md lists every tensor. */
#ifndef MDM_MODEL_MODEL_H
#define MDM_MODEL_MODEL_H
#include "kernels/quant.h"
#include "model/alloc.h"
#include "mdm_rt.h"

typedef struct {
    const void *data; /* into the file or buffer; at least MDM_MODEL_ALIGN-byte aligned */
    mdm_type type;
    int64_t ne[4];    /* unused dims are 1 */
    int n_dims;
    size_t nbytes;
} mdm_tensor;

/* Hyper-parameters (config.json names) and values derived from them. */
typedef struct {
    int image_size, image_channels, vae_factor, latent_channels, patch_size;
    int text_len, vocab_size;                  /* Lt, V; MASK is token id V */
    int d_model, n_layer, expand, d_state, d_conv, dt_rank;
    float norm_eps;
    float vae_scaling_factor, vae_gn_eps;
    int scan_orders[4];                        /* block l uses scan_orders[l % 4] */
    /* derived */
    int d_inner;        /* expand * d_model */
    int latent_size;    /* image_size / vae_factor */
    int grid;           /* latent_size / patch_size: image tokens per row */
    int n_image_tokens; /* grid * grid */
    int patch_dim;      /* latent_channels * patch_size^2 */
    int seq_len;        /* 3 + text_len + n_image_tokens */
} mdm_hparams;

typedef enum {
    MDM_VAE_CONV, /* conv:CI:CO  3x3, stride 1 */
    MDM_VAE_DOWN, /* down:CI:CO  3x3, stride 2 */
    MDM_VAE_UP,   /* up:CI:CO    nearest x2, then 3x3 */
    MDM_VAE_RES,  /* res:C       x + conv2(SiLU(conv1(SiLU(x)))) */
    MDM_VAE_GN,   /* gn:C:G      GroupNorm, eps vae_gn_eps */
    MDM_VAE_SILU, /* silu */
} mdm_vae_op;

/* One VAE block.  Conv weights are stored flattened as ne = {CI*9, CO}
 * (PyTorch [CO,CI,3,3] row-major: a row is one output channel), so that
 * quantized types get whole 32-value blocks per row; bias ne = {CO}. */
typedef struct {
    mdm_vae_op op;
    int ci, co;      /* in/out channels (res, gn: ci == co == C; silu: 0) */
    int groups;      /* gn only */
    mdm_tensor w, b; /* conv/down/up weight+bias; res conv1; gn weight+bias */
    mdm_tensor w2, b2; /* res conv2 only */
} mdm_vae_block;

#define MDM_VAE_MAX_BLOCKS 64

typedef struct {
    int n_blocks;
    mdm_vae_block blocks[MDM_VAE_MAX_BLOCKS];
} mdm_vae_stack;

/* SentencePiece vocabulary.  piece[i] points into the file and is NOT
 * NUL-terminated: use piece_len[i].  scores and types are decoded copies
 * (the GGUF key-value section has no alignment). */
typedef struct {
    int n; /* == hparams.vocab_size */
    const char **piece;
    uint32_t *piece_len;
    float *score;
    int32_t *type; /* 1 normal, 2 unknown, 3 control, 4 user, 5 unused, 6 byte */
    int pad_id, unk_id, eos_id;
} mdm_vocab;

typedef struct {
    mdm_tensor fc1_w, fc1_b; /* {256, d}, {d} */
    mdm_tensor fc2_w, fc2_b; /* {d, d}, {d} */
} mdm_time_mlp;

typedef struct {
    mdm_tensor norm;      /* {d}                      F32 */
    mdm_tensor in_proj;   /* {d, 2*di}                   */
    mdm_tensor conv1d_w;  /* {K, 1, di}               F32 */
    mdm_tensor conv1d_b;  /* {di}                     F32 */
    mdm_tensor x_proj;    /* {di, R + 2N}                */
    mdm_tensor dt_proj_w; /* {R, di}                  F32 */
    mdm_tensor dt_proj_b; /* {di}                     F32 */
    mdm_tensor A_log;     /* {N, di}                  F32 */
    mdm_tensor D;         /* {di}                     F32 */
    mdm_tensor out_proj;  /* {di, d}                     */
} mdm_layer;

struct mdm_gguf;

struct mdm_model {
    mdm_hparams hp;
    mdm_vocab vocab;

    mdm_tensor embed_image_w, embed_image_b; /* {c*p*p, d}, {d}   F32 */
    mdm_tensor image_pos;                    /* {d, Ni}           F32 */
    mdm_tensor text_embed;                   /* {d, V+1}          F32 */
    mdm_tensor text_pos;                     /* {d, Lt}           F32 */
    mdm_tensor task_embed;                   /* {d, 4}            F32 */
    mdm_time_mlp time_image, time_text;

    mdm_layer *layers; /* n_layer of them */
    mdm_tensor norm_f; /* {d}                                     F32 */

    mdm_tensor head_image_w, head_image_b; /* {d, c*p*p}, {c*p*p} */
    mdm_tensor head_text_w, head_text_b;   /* {d, V+1}, {V+1}     */

    mdm_vae_stack vae_enc, vae_dec;

    /* The file behind the views; private to src/model/. */
    struct mdm_gguf *gguf;
    void *mapping;     /* non-NULL when opened from a file */
    int crc_state;     /* MDM_CRC_* in mdm_rt.h */
    mdm_allocator al;  /* the model's tables (and the model) come from here */
    uint32_t file_type;
};

#endif
