/*
 * mdm_rt.h — the public interface of mdm-rt, a dependency-free C runtime for
 * MDM (Multi-modal Diffusion Mamba) models.  See README.md and
 * docs/FORMAT.md.  The model itself is defined in the project's MDM spec.
 *
 * Conventions
 * - Every function returns an mdm_status (MDM_OK == 0) unless documented.
 * - Nothing in the library prints, exits or keeps global mutable state;
 *   diagnostics go to a caller-set mdm_log_fn (below), or nowhere.
 * - Handles are opaque; *_free(NULL) is harmless.
 * - Pointers in: a NULL where the call needs data is MDM_ERR_INVALID_ARG.
 *   Buffers the caller passes are read or written during the call only and
 *   may have any alignment, except two that must outlive a handle: a model
 *   opened from memory (16-byte aligned, unchanged until mdm_model_free)
 *   and a context's own buffer (until mdm_ctx_free).
 * - Threads: an mdm_model is read-only once open: any number of threads may
 *   use it and its contexts at once.  An mdm_ctx is used by one thread at a
 *   time (calls on one context from two threads at once are undefined); use
 *   one per thread.  Callbacks run on the thread of the call that makes
 *   them, and must not call into the same context.
 */
#ifndef MDM_RT_H
#define MDM_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's interface: built with
 * -fvisibility=hidden, the shared library exports these names and no others. */
#pragma GCC visibility push(default)

/* ---- version ------------------------------------------------------------
 * MAJOR changes when the ABI breaks (the shared library's soname carries
 * it; while MAJOR is 0, MINOR too), MINOR when something is added, PATCH
 * for fixes.  mdm_version() is the library's own (MDM_VERSION_NUMBER of
 * the build), to compare with the header a program was compiled with. */
#define MDM_VERSION_MAJOR 0
#define MDM_VERSION_MINOR 1
#define MDM_VERSION_PATCH 0
#define MDM_VERSION_NUMBER (MDM_VERSION_MAJOR * 10000 + MDM_VERSION_MINOR * 100 + MDM_VERSION_PATCH)
#define MDM_VERSION_STRING "0.1.0"

int mdm_version(void);                /* MDM_VERSION_NUMBER of the library */
const char *mdm_version_string(void); /* "MAJOR.MINOR.PATCH" of the library */

/* ---- parameter structs that grow ------------------------------------------
 * Every *_params struct starts with struct_size, the struct's size as the
 * caller's compiler saw it.  The *_params_init() functions are inline here:
 * they set struct_size = sizeof and ask the library to fill exactly that
 * many bytes with defaults (mdm_*_params_defaults).  New fields are only
 * ever appended, so a library reads the fields within struct_size and uses
 * its defaults for the rest: a program built with an older header runs on a
 * newer library unchanged.  A struct larger than the library knows (a
 * program built with a newer header) is accepted when the extra bytes are
 * zero (fields left at their defaults), else MDM_ERR_UNSUPPORTED.
 * struct_size 0 (a struct that skipped its init) is MDM_ERR_INVALID_ARG.
 * So that both directions work, a field added later takes all-zero bytes
 * as its default (NULL, 0): an older library fills a newer caller's unknown
 * tail with zeros, and accepts it only while zero.  The fields issues 9-11
 * appended (device, err, log, progress, alloc) all default to NULL.
 * Structs must be set up by their *_params_init(), never by a brace
 * initializer or memset alone (those leave struct_size 0). */

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
    X(MDM_ERR_BAD_FORMAT_VERSION, 36, "unsupported mdm model-file format version")   \
    X(MDM_ERR_NO_DEVICE, 37, "no such OpenCL platform or device")                \
    X(MDM_ERR_DEVICE, 38, "the OpenCL device failed (build, memory or a call)")

typedef enum {
#define MDM_STATUS_ENUM(name, num, msg) name = num,
    MDM_STATUS_LIST(MDM_STATUS_ENUM)
#undef MDM_STATUS_ENUM
} mdm_status;

/* MDM_ERR_BAD_JSON and MDM_ERR_BAD_SAFETENSORS are returned only by the
 * converter (tools/convert, reading a checkpoint's config.json and
 * model.safetensors), never by a call of this header.  They stay in this one
 * enum so that a status number means one thing across the project (the
 * tools print mdm_strerror of either), and the numbers are stable. */

/* A static English message for a status; never NULL. */
const char *mdm_strerror(mdm_status status);

/* ---- diagnostics, progress ------------------------------------------- */
typedef enum { MDM_LOG_ERROR = 0, MDM_LOG_INFO = 1 } mdm_log_level;

/* Receives the library's diagnostics: one line of text without a newline,
 * valid only during the call.  ERROR: why a call failed, the same text as
 * its err buffer where it has one (a text that does not fit the model, a
 * cancelled call: the details a status cannot carry); INFO: what a model
 * open or context creation found (sizes, the kernel set).  Set per model open (mdm_model_params) and per context
 * (mdm_ctx_params); NULL (the default) drops them.  Runs on the thread of
 * the reporting call. */
typedef void (*mdm_log_fn)(void *user, mdm_log_level level, const char *msg);

/* Progress of a long call, step = 1..total; returning non-zero stops the
 * call with MDM_ERR_CANCELLED (its outputs are then unspecified). */
typedef int (*mdm_progress_fn)(void *user, int step, int total);

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
    size_t struct_size; /* set by mdm_model_params_init (see "parameter structs that grow") */
    int verify_crc; /* check mdm.data_crc32 over the tensor data (default 1) */
    mdm_log_fn log; /* diagnostics of the open (default NULL: none) */
    void *log_user;
    /* Where the model's tables (tensor and key index, vocabulary: a few tens
     * of KB, never the tensor data) come from.  alloc NULL (default): the
     * port's heap (malloc on POSIX; a bare-metal build has none, so there
     * alloc must be set).  alloc returns memory aligned for any type, or
     * NULL (the open then fails with MDM_ERR_NO_MEMORY); free may be NULL
     * (a bump allocator over a static buffer); user is passed to both. */
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
    void *alloc_user;
} mdm_model_params;

void mdm_model_params_defaults(mdm_model_params *p, size_t struct_size);
static inline mdm_model_params mdm_model_params_init(void) {
    mdm_model_params p;
    mdm_model_params_defaults(&p, sizeof p);
    return p;
}

/* The alignment mdm_model_open_memory needs of data (MDM_ERR_MISALIGNED
 * otherwise): what malloc returns on any platform. */
#define MDM_MODEL_ALIGN 8

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

/* ===================================================================== */
/* Runtime: contexts, tasks and the lower-level calls                     */
/* ===================================================================== */
/* A context holds everything one thread needs to run a model: derived
 * per-layer constants, the tokenizer and all scratch, in ONE arena.
 * Persistent data sits at one end, per-call scratch at the other; after
 * mdm_ctx_create() nothing in the inference path allocates, so the memory a
 * context needs is known up front (mdm_ctx_size) and a call never fails for
 * lack of it.
 *
 * Threads: a model is read-only once open and may serve any number of
 * contexts on any number of threads; a context is used by one thread at a
 * time.  The model must outlive its contexts.  Every call below on a
 * context is synchronous; with n_threads > 1 it uses the context's own
 * workers and returns when they are done.
 *
 * Shapes (mdm_model_get_info): H = W = image_size, C = image_channels,
 * c = latent_channels, h = w = image_size / vae_factor, Lt = text_len,
 * V = vocab_size (token V is MASK).  Images are bytes, interleaved,
 * row-major, top row first: sample (x, y, ch) is pixels[(y*W + x)*C + ch],
 * exactly the model's size and channel count (src/image converts others).
 * Latents are planar floats [c][h][w], scaled (mu * vae_scaling_factor).
 *
 * Usage (error checks left out):
 *     mdm_model *m;  mdm_model_open_file("model.gguf", NULL, &m, err, sizeof err);
 *     mdm_ctx *c;    mdm_ctx_create(m, NULL, NULL, 0, &c);  // or a buffer of mdm_ctx_size()
 *     mdm_gen_params g = mdm_gen_params_init();
 *     g.seed = 1, g.guidance = 3.0f;
 *     uint8_t px[32 * 32];  // H*W*C of the model
 *     mdm_text_to_image(c, "a photo of a bag", 16, &g, px, sizeof px);
 *     char text[256];       // mdm_ctx_text_cap(c) always suffices
 *     mdm_caption(c, px, sizeof px, &g, text, sizeof text, NULL);
 *     mdm_ctx_free(c);
 *     mdm_model_free(m); */
typedef struct mdm_ctx mdm_ctx;

typedef struct {
    size_t struct_size;    /* set by mdm_ctx_params_init (see "parameter structs that grow") */
    size_t max_text_bytes; /* longest prompt or question accepted, in bytes,
                            * 1..1048576 (default 4096); it sizes the
                            * tokenizer's scratch */
    /* Threads the context's calls run on, 1..MDM_MAX_THREADS (default 1).
     * Results have the same bits whatever the count.  More than one needs a
     * port with threads (MDM_ERR_UNSUPPORTED otherwise); the workers start in
     * mdm_ctx_create and stop in mdm_ctx_free. */
    int n_threads;
    /* Kernel set: NULL or "auto" (default) picks the fastest this CPU runs;
     * "scalar" forces the reference kernels; "tiled" is plain C with the
     * scalar set's bits, faster where there is no SIMD (auto there); "dsp"
     * (int8 by SMLAD; auto on the Cortex-M4/M7, portable C elsewhere) and
     * "helium" (MVE, Cortex-M55: vector exp, fused multiply-adds); a
     * named set ("avx2", "avx2-vnni", "avx512", "neon", "neon-dotprod",
     * "helium") that this build or CPU lacks gives MDM_ERR_UNSUPPORTED.
     * Sets agree with "scalar" to rounding, except that the int8 paths
     * (Q8_0/Q4_0 weights on every x86 set, neon-dotprod and dsp) quantize
     * activations to 8 bits per 32 values, as llama.cpp does; the x86 int8
     * paths agree with each other bit for bit. */
    const char *kernels;
    /* Where the model runs: NULL or "cpu" (default); "opencl": the first
     * OpenCL GPU, else the first OpenCL device; "opencl:N": device N of
     * mdm_devices().  Either may end in "/int8" (Q8_0/Q4_0 matmuls quantize
     * activations to int8, as the CPU's int8 paths do; the default where the
     * device has an integer dot product) or "/f32" (float matmuls, the
     * default elsewhere).  Needs a build with OpenCL (make OPENCL=1), else
     * MDM_ERR_UNSUPPORTED; MDM_ERR_NO_DEVICE when there is no such device;
     * MDM_ERR_DEVICE when it fails (e.g. the kernels do not build). */
    const char *device;
    /* On failure of mdm_ctx_create, a NUL-terminated reason ("caller buffer
     * too small: 1000 bytes, the context needs 52224"; for a device, the
     * driver's build log when the kernels fail to build) goes to
     * err[err_len], as mdm_model_open_* do with theirs.  NULL (default): none. */
    char *err;
    size_t err_len;
    mdm_log_fn log; /* this context's diagnostics (default NULL: none); it */
    void *log_user; /* and log_user must stay valid until mdm_ctx_free */
    /* Progress and cancellation inside every encode, decode and denoiser
     * forward on this context, including those the tasks make: called after
     * each VAE block (total = the blocks of that encode or decode) and each
     * denoiser layer (total = batch * n_layer of that forward).  NULL
     * (default): none.  mdm_ctx_set_progress changes it later. */
    mdm_progress_fn progress;
    void *progress_user;
} mdm_ctx_params;

#define MDM_MAX_THREADS 64

void mdm_ctx_params_defaults(mdm_ctx_params *p, size_t struct_size);
static inline mdm_ctx_params mdm_ctx_params_init(void) {
    mdm_ctx_params p;
    mdm_ctx_params_defaults(&p, sizeof p);
    return p;
}

/* Bytes that mdm_ctx_create needs for this model and params (whatever the
 * buffer's alignment); 0 when the params are invalid or the size overflows
 * (mdm_ctx_create with the same params says which). */
size_t mdm_ctx_size(const mdm_model *m, const mdm_ctx_params *p);

/* Creates a context in buffer (size bytes, any alignment), which must stay
 * valid until mdm_ctx_free; buffer NULL: the context allocates
 * mdm_ctx_size() bytes once, here, and frees them in mdm_ctx_free.  p may be
 * NULL (defaults).  MDM_ERR_BUFFER_TOO_SMALL, MDM_ERR_NO_MEMORY,
 * MDM_ERR_BAD_VOCAB (the model's vocabulary cannot make a tokenizer),
 * MDM_ERR_UNSUPPORTED (kernel set or threads), MDM_ERR_INVALID_ARG; the
 * reason in p->err and to p->log. */
mdm_status mdm_ctx_create(const mdm_model *m, const mdm_ctx_params *p, void *buffer, size_t size,
                          mdm_ctx **out);
void mdm_ctx_free(mdm_ctx *ctx);

/* Replaces the context's progress callback (mdm_ctx_params.progress);
 * fn NULL: none.  Not during a call on the context. */
void mdm_ctx_set_progress(mdm_ctx *ctx, mdm_progress_fn fn, void *user);

/* The context's buffer size, the scratch part of it, and the most scratch
 * any call so far used (for tuning, and for tests that the plan holds). */
void mdm_ctx_memory(const mdm_ctx *ctx, size_t *total, size_t *scratch_size, size_t *scratch_peak);

/* The kernel set the context runs ("scalar", "avx2", "avx2-vnni", "avx512", "neon",
 * "neon-dotprod"); "" for NULL. */
const char *mdm_ctx_kernels(const mdm_ctx *ctx);

/* What the context runs on: "cpu", or "opencl:N <device name>"; "" for NULL. */
const char *mdm_ctx_device(const mdm_ctx *ctx);

/* The OpenCL devices this build can use, in "opencl:N" order. */
typedef struct {
    int index;                      /* N of "opencl:N" */
    char platform[128], name[128];
    char version[128];              /* "OpenCL 3.0 ..." */
    uint64_t global_mem, local_mem; /* bytes */
    int compute_units, is_gpu;
    int fp16, subgroups, int_dot;   /* cl_khr_fp16, sub-groups, integer dot product */
} mdm_device_info;

/* Fills out[0..min(*n, max)) and *n with the count.  MDM_ERR_UNSUPPORTED
 * in a build without OpenCL; MDM_OK with *n = 0 when there is none. */
mdm_status mdm_devices(mdm_device_info *out, int max, int *n);

/* A buffer of this many bytes holds any text a task returns, with its NUL. */
size_t mdm_ctx_text_cap(const mdm_ctx *ctx);

/* ---- tasks ------------------------------------------------------------ */
typedef enum { MDM_SAMPLER_EULER = 0, MDM_SAMPLER_HEUN = 1 } mdm_image_sampler;
/* Text samplers.  ANALYTIC and EULER are the spec's SEDD steps (random, by
 * seed).  CONFIDENT (the default) is deterministic: on the same grid, each
 * step unmasks the positions whose most likely piece is most probable, as
 * many as the schedule unmasks on average, so the text is the model's best
 * reading rather than one sampled mode (see docs/MODEL.md). */
typedef enum { MDM_TEXT_ANALYTIC = 0, MDM_TEXT_EULER = 1, MDM_TEXT_CONFIDENT = 2 } mdm_text_sampler;

#define MDM_MAX_STEPS 1000

typedef struct {
    size_t struct_size;             /* set by mdm_gen_params_init (see "parameter structs that grow") */
    int steps;                      /* image steps, 1..MDM_MAX_STEPS (default 20) */
    mdm_image_sampler sampler;      /* default Euler */
    int text_steps;                 /* text steps, 1..MDM_MAX_STEPS (default 16) */
    mdm_text_sampler text_sampler;  /* default confident (deterministic, confidence-first) */
    float guidance;                 /* classifier-free guidance scale, finite; 1 = off (default 1) */
    float shift;                    /* image time grid shift s > 0, finite (default 1: uniform) */
    uint64_t seed;                  /* same seed, same result as the reference (default 0) */
    /* Called after each sampler step with step = 1..total (total = steps
     * for text-to-image, text_steps + 1 for caption and VQA, steps + 1 for
     * joint: the +1 is the final text step); returning non-zero stops the
     * task with MDM_ERR_CANCELLED.  May be NULL. */
    int (*progress)(void *user, int step, int total);
    void *user;
} mdm_gen_params;

/* The tasks take p NULL as the defaults; a field outside its range above
 * (or an unknown sampler) is MDM_ERR_INVALID_ARG before any work. */
void mdm_gen_params_defaults(mdm_gen_params *p, size_t struct_size);
static inline mdm_gen_params mdm_gen_params_init(void) {
    mdm_gen_params p;
    mdm_gen_params_defaults(&p, sizeof p);
    return p;
}

/* Text-to-image: prompt (prompt_len bytes of UTF-8) -> pixels (n must be
 * H*W*C).  guidance != 1 runs the unconditional branch too (text all MASK).
 * MDM_ERR_TEXT_TOO_LONG when the prompt and its EOS exceed Lt tokens. */
mdm_status mdm_text_to_image(mdm_ctx *ctx, const char *prompt, size_t prompt_len,
                             const mdm_gen_params *p, uint8_t *pixels, size_t n);

/* Caption: pixels (H*W*C bytes) -> NUL-terminated text in text[cap]
 * (mdm_ctx_text_cap bytes always suffice); *len (may be NULL) gets its
 * length.  Uses text_steps and text_sampler. */
mdm_status mdm_caption(mdm_ctx *ctx, const uint8_t *pixels, size_t n, const mdm_gen_params *p,
                       char *text, size_t cap, size_t *len);

/* Visual question answering: the question's tokens stay fixed (at least one
 * position must remain for the answer, else MDM_ERR_TEXT_TOO_LONG); the
 * answer is the text generated after them. */
mdm_status mdm_vqa(mdm_ctx *ctx, const uint8_t *pixels, size_t n, const char *question,
                   size_t question_len, const mdm_gen_params *p, char *answer, size_t cap,
                   size_t *len);

/* Joint: image and text both from noise, one forward per step: `steps`
 * Euler image steps on the (shifted) image grid and as many text steps
 * (text_sampler) on the text grid, then the final text step.  guidance
 * and sampler do not apply. */
mdm_status mdm_joint(mdm_ctx *ctx, const mdm_gen_params *p, uint8_t *pixels, size_t n, char *text,
                     size_t cap, size_t *len);

/* ---- lower-level calls ----------------------------------------------- */
/* text -> ids[Lt]: the pieces, EOS, then PAD, as the model was trained.
 * MDM_ERR_TEXT_TOO_LONG when they do not fit (or text_len exceeds
 * max_text_bytes); *n_ids (may be NULL) gets the count before padding. */
mdm_status mdm_tokenize(mdm_ctx *ctx, const char *text, size_t text_len, int32_t *ids,
                        size_t *n_ids);

/* ids[n] (n <= Lt) -> NUL-terminated text: pieces up to the first EOS, PAD
 * and MASK skipped.  MDM_ERR_BUFFER_TOO_SMALL when cap is short (*len still
 * gets the length); MDM_ERR_INVALID_ARG for an id outside 0..V. */
mdm_status mdm_detokenize(mdm_ctx *ctx, const int32_t *ids, size_t n, char *text, size_t cap,
                          size_t *len);

/* Image -> scaled latent [c][h][w] (the encoder's mean times the scaling
 * factor).  Bytes (n = H*W*C, interleaved) or planar floats [C][H][W] in
 * [-1, 1] (n = C*H*W).  The context's progress callback sees each encoder
 * block (and may cancel); so do decode and denoise below. */
mdm_status mdm_encode_image(mdm_ctx *ctx, const uint8_t *pixels, size_t n, float *latent);
mdm_status mdm_encode_image_f32(mdm_ctx *ctx, const float *planar, size_t n, float *latent);

/* Scaled latent [c][h][w] -> pixels (n = H*W*C bytes): decoder of
 * latent / scaling_factor, clamped to [-1, 1], round((x + 1) * 127.5). */
mdm_status mdm_decode_latent(mdm_ctx *ctx, const float *latent, uint8_t *pixels, size_t n);

/* One denoiser forward on a batch of 1 or 2: latents [B][c][h][w],
 * tokens [B][Lt] (0..V), t_image, t_text [B] in [0, 1], task [B] (0
 * text-to-image, 1 caption, 2 VQA, 3 joint).  Outputs (either may be NULL):
 * velocity [B][c][h][w] and log_score [B][Lt][V+1], the SEDD-parameterised
 * log-scores of spec §3. */
enum { MDM_TASK_T2I = 0, MDM_TASK_CAPTION = 1, MDM_TASK_VQA = 2, MDM_TASK_JOINT = 3 };

mdm_status mdm_denoise(mdm_ctx *ctx, int batch, const float *latents, const int32_t *tokens,
                       const float *t_image, const float *t_text, const int32_t *task,
                       float *velocity, float *log_score);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* MDM_RT_H */
