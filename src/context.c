/* mdm_ctx: sizing, creation and the memory plan.  The plan measures the
 * same carve functions that the calls use at run time (arena.h), so the size
 * a caller is told and the memory the calls take cannot drift apart:
 *   persistent = context + tokenizer + denoiser constants
 *   scratch    = task state + max(denoiser forward, VAE call, tokenization) */
#include "fmt.h"
#include "context.h"
#include "model/errmsg.h"
#include <stdarg.h>
#include "device.h"
#include "params.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TEXT_BYTES 4096
#define MAX_TEXT_BYTES_LIMIT (1u << 20) /* prompts are a sentence, not a book */

void mdm_ctx_params_defaults(mdm_ctx_params *p, size_t struct_size) {
    const mdm_ctx_params def = {.struct_size = sizeof def,
                                .max_text_bytes = DEFAULT_MAX_TEXT_BYTES, .n_threads = 1};
    mdm_params_fill(p, struct_size, &def, sizeof def);
}

/* The caller's params (NULL: defaults) as this library's struct. */
static mdm_status take_params(const mdm_ctx_params *p, mdm_ctx_params *out) {
    *out = mdm_ctx_params_init();
    return p ? mdm_params_take(out, sizeof *out, p) : MDM_OK;
}

static mdm_spm_vocab spm_vocab_of(const mdm_model *m) {
    const mdm_vocab *v = &m->vocab;
    mdm_spm_vocab s = {(size_t)v->n, v->piece, v->piece_len, v->score, v->type, v->unk_id};
    return s;
}

/* The decoded text of Lt ids is at most Lt times the longest thing one id
 * decodes to: a piece's own bytes, U+FFFD (3) for a stray byte piece, or
 * " \u2047 " (5) for the unknown piece. */
static size_t text_cap_of(const mdm_model *m) {
    size_t longest = 5;
    for (int i = 0; i < m->vocab.n; i++)
        if (m->vocab.piece_len[i] > longest)
            longest = m->vocab.piece_len[i];
    return (size_t)m->hp.text_len * longest + 1;
}

/* ---- the plan ---------------------------------------------------------- */

/* Carves the persistent part; on a measuring arena only counts.  *out is
 * set on a real arena. */
static mdm_status carve_persistent(mdm_arena *a, const mdm_model *m, const mdm_ctx_params *p,
                                   mdm_ctx **out) {
    mdm_spm_vocab v = spm_vocab_of(m);
    size_t spm_bytes;
    mdm_status st = mdm_spm_size(&v, &spm_bytes);
    if (st != MDM_OK)
        return st == MDM_ERR_INVALID_ARG ? MDM_ERR_BAD_VOCAB : st;
    mdm_ctx *ctx = mdm_arena_persist(a, sizeof *ctx);
    void *spm_mem = mdm_arena_persist(a, spm_bytes);
    mdm_denoiser dn;
    if ((st = mdm_denoiser_init(&dn, m, a)) != MDM_OK)
        return st;
    const mdm_kernels *k = mdm_kernels_select(p->kernels);
    if (!k)
        return MDM_ERR_UNSUPPORTED;
    mdm_exec ex;
    mdm_exec_carve(a, m, k, p->n_threads, &ex);
    if (!mdm_arena_ok(a))
        return MDM_ERR_BUFFER_TOO_SMALL;
    if (!a->base)
        return MDM_OK;
    memset(ctx, 0, sizeof *ctx);
    if ((st = mdm_spm_init(spm_mem, spm_bytes, &v, &ctx->spm)) != MDM_OK)
        return st;
    ctx->m = m;
    ctx->params = *p;
    ctx->dn = dn;
    ctx->ex = ex;
    ctx->text_cap = text_cap_of(m);
    *out = ctx;
    return MDM_OK;
}

/* Scratch a carve takes on a measuring arena; 0 if it overflows. */
static size_t measured(const mdm_arena *a) { return a->failed ? 0 : a->hi; }

static size_t plan_scratch(const mdm_model *m, const mdm_ctx_params *p) {
    mdm_arena a;
    mdm_task_state ts;
    mdm_den_work dw;
    mdm_vae_call vc;
    mdm_tok_call tc;
    mdm_arena_init(&a, NULL, 0);
    mdm_task_state_carve(&a, &m->hp, &ts);
    size_t state = measured(&a);
    mdm_arena_init(&a, NULL, 0);
    mdm_den_work_carve(&a, &m->hp, &dw);
    size_t inner = measured(&a);
    mdm_arena_init(&a, NULL, 0);
    mdm_vae_call_carve(&a, m, &vc);
    size_t vae = measured(&a);
    mdm_arena_init(&a, NULL, 0);
    mdm_tok_call_carve(&a, &m->hp, p, &tc);
    size_t tok = measured(&a);
    if (!state || !inner || !vae || !tok)
        return 0;
    inner = inner > vae ? inner : vae;
    inner = inner > tok ? inner : tok;
    return state <= SIZE_MAX / 4 && inner <= SIZE_MAX / 4 ? state + inner : 0;
}

static int params_ok(const mdm_ctx_params *p) {
    int index;
    return mdm_device_parse(p->device, &index) >= 0 && p->max_text_bytes >= 1 && p->max_text_bytes <= MAX_TEXT_BYTES_LIMIT &&
           p->n_threads >= 1 && p->n_threads <= MDM_MAX_THREADS;
}

/* Persistent and scratch bytes of a context. */
static mdm_status plan(const mdm_model *m, const mdm_ctx_params *p, size_t *persist,
                       size_t *scratch) {
    if (!m || !params_ok(p))
        return MDM_ERR_INVALID_ARG;
    mdm_arena a;
    mdm_arena_init(&a, NULL, 0);
    mdm_status st = carve_persistent(&a, m, p, NULL);
    if (st != MDM_OK)
        return st;
    *persist = a.lo;
    *scratch = plan_scratch(m, p);
    if (!*scratch || *persist > SIZE_MAX / 4 || *scratch > SIZE_MAX / 4)
        return MDM_ERR_OVERFLOW;
    return MDM_OK;
}

/* ---- the API ----------------------------------------------------------- */

size_t mdm_ctx_size(const mdm_model *m, const mdm_ctx_params *p) {
    mdm_ctx_params def;
    size_t persist, scratch;
    if (take_params(p, &def) != MDM_OK || plan(m, &def, &persist, &scratch) != MDM_OK)
        return 0;
    return persist + scratch + MDM_ARENA_SLACK;
}

/* Why params_ok() said no, into err. */
static mdm_status params_err(const mdm_ctx_params *p, char *err, size_t len) {
    int index;
    if (mdm_device_parse(p->device, &index) < 0)
        return mdm_err(err, len, MDM_ERR_INVALID_ARG,
                       "device \"%s\": need cpu, opencl or opencl:N, optionally with /int8 or /f32",
                       p->device);
    if (p->n_threads < 1 || p->n_threads > MDM_MAX_THREADS)
        return mdm_err(err, len, MDM_ERR_INVALID_ARG, "n_threads %d, need 1..%d", p->n_threads,
                       MDM_MAX_THREADS);
    return mdm_err(err, len, MDM_ERR_INVALID_ARG, "max_text_bytes %zu, need 1..%u",
                   p->max_text_bytes, MAX_TEXT_BYTES_LIMIT);
}

static mdm_status create(const mdm_model *m, const mdm_ctx_params *p, void *buffer, size_t size,
                         mdm_ctx **out, char *err, size_t len) {
    if (!m || !out)
        return mdm_err(err, len, MDM_ERR_INVALID_ARG, "no model or no output");
    if (!params_ok(p))
        return params_err(p, err, len);
    if (p->kernels && !mdm_kernels_select(p->kernels))
        return mdm_err(err, len, MDM_ERR_UNSUPPORTED,
                       "kernel set \"%s\" is not in this build or not run by this CPU", p->kernels);
    size_t persist, scratch;
    mdm_status st = plan(m, p, &persist, &scratch);
    if (st != MDM_OK)
        return mdm_err(err, len, st, "%s", st == MDM_ERR_BAD_VOCAB
                                               ? "the model's vocabulary cannot make a tokenizer"
                                               : "sizing the context");
    const size_t need = persist + scratch + MDM_ARENA_SLACK;
    void *owned = NULL;
    if (!buffer) {
        size = need;
        if (!(buffer = owned = mdm_port_alloc(size)))
            return mdm_err(err, len, MDM_ERR_NO_MEMORY, "%zu bytes for the context", size);
    }
    mdm_arena a;
    mdm_arena_init(&a, buffer, size);
    mdm_ctx *ctx = NULL;
    st = carve_persistent(&a, m, p, &ctx);
    if (st == MDM_OK && a.size - a.lo < scratch)
        st = MDM_ERR_BUFFER_TOO_SMALL;
    if (st != MDM_OK) {
        mdm_port_free(owned);
        if (st == MDM_ERR_BUFFER_TOO_SMALL)
            return mdm_err(err, len, st, "%zu bytes, the context needs %zu (mdm_ctx_size)", size,
                           need);
        return mdm_err(err, len, st, "setting up the context");
    }
    if (p->n_threads > 1 && (st = mdm_port_pool_create(p->n_threads, &ctx->ex.pool)) != MDM_OK) {
        mdm_port_free(owned);
        return mdm_err(err, len, st, "starting %d threads (this port has %s)", p->n_threads,
                       st == MDM_ERR_UNSUPPORTED ? "none" : "too few");
    }
    if ((st = mdm_device_attach(ctx, p)) != MDM_OK) {
        mdm_port_pool_free(ctx->ex.pool);
        mdm_port_free(owned);
        return st;
    }
    ctx->arena = a;
    ctx->owned = owned;
    ctx->scratch_plan = scratch;
    ctx->size = size;
    /* The caller's buffers are for this call only; the callbacks stay. */
    ctx->params.err = NULL, ctx->params.err_len = 0, ctx->params.kernels = NULL;
    ctx->progress = (mdm_progress){p->progress, p->progress_user};
    *out = ctx;
    return MDM_OK;
}

mdm_status mdm_ctx_create(const mdm_model *m, const mdm_ctx_params *p, void *buffer, size_t size,
                          mdm_ctx **out) {
    mdm_ctx_params def;
    if (out)
        *out = NULL;
    mdm_status st = take_params(p, &def);
    if (st != MDM_OK) {
        /* the caller's err, when its struct is sane and reaches that far */
        size_t n = p->struct_size;
        if (n <= ((size_t)1 << 20) && n >= offsetof(mdm_ctx_params, err_len) + sizeof(size_t) &&
            p->err && p->err_len)
            mdm_fmt(p->err, p->err_len, "mdm_ctx_params: struct_size %zu (%s)", n,
                    st == MDM_ERR_UNSUPPORTED ? "fields this library does not know are set"
                                              : "not set by mdm_ctx_params_init");
        return st;
    }
    p = &def;
    char msg[256] = "";
    st = create(m, p, buffer, size, out, msg, sizeof msg);
    if (st != MDM_OK) {
        /* a device that failed has already written its reason (with the
         * driver's build log) to p->err: keep it */
        if (p->err && p->err_len && msg[0])
            mdm_fmt(p->err, p->err_len, "%s", msg);
        if (p->log)
            p->log(p->log_user, MDM_LOG_ERROR,
                   msg[0] ? msg : p->err && p->err[0] ? p->err : mdm_strerror(st));
    } else if (p->log) {
        mdm_fmt(msg, sizeof msg, "context: %zu bytes (scratch %zu), kernels %s, %d thread%s",
                 (*out)->size, (*out)->scratch_plan, mdm_ctx_kernels(*out), p->n_threads,
                 p->n_threads > 1 ? "s" : "");
        p->log(p->log_user, MDM_LOG_INFO, msg);
    }
    return st;
}

void mdm_ctx_log(const mdm_ctx *ctx, mdm_log_level level, const char *fmt, ...) {
    if (!ctx || !ctx->params.log)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    mdm_vfmt(line, sizeof line, fmt, ap);
    va_end(ap);
    ctx->params.log(ctx->params.log_user, level, line);
}

void mdm_ctx_set_progress(mdm_ctx *ctx, mdm_progress_fn fn, void *user) {
    if (ctx)
        ctx->progress = (mdm_progress){fn, user};
}

void mdm_ctx_free(mdm_ctx *ctx) {
    if (!ctx)
        return;
    mdm_device_detach(ctx);
    mdm_port_pool_free(ctx->ex.pool);
    mdm_port_free(ctx->owned); /* the context itself lives in that buffer */
}

const char *mdm_ctx_kernels(const mdm_ctx *ctx) { return ctx ? ctx->ex.k->name : ""; }

void mdm_ctx_memory(const mdm_ctx *ctx, size_t *total, size_t *scratch_size,
                    size_t *scratch_peak) {
    if (total)
        *total = ctx ? ctx->size : 0;
    if (scratch_size)
        *scratch_size = ctx ? ctx->scratch_plan : 0;
    if (scratch_peak)
        *scratch_peak = ctx ? ctx->arena.hi_peak : 0;
}

size_t mdm_ctx_text_cap(const mdm_ctx *ctx) { return ctx ? ctx->text_cap : 0; }

/* ---- carves of the calls ---------------------------------------------- */

void mdm_vae_call_carve(mdm_arena *a, const mdm_model *m, mdm_vae_call *c) {
    const mdm_hparams *hp = &m->hp;
    /* Holds the image, or the latent a decode stages here: whichever is larger. */
    size_t image = mdm_pixel_count(hp), latent = mdm_latent_count(hp);
    c->image = mdm_arena_floats(a, image > latent ? image : latent);
    mdm_vae_work_carve(a, m, &c->vae);
}

void mdm_tok_call_carve(mdm_arena *a, const mdm_hparams *hp, const mdm_ctx_params *p,
                        mdm_tok_call *c) {
    c->work_size = MDM_SPM_WORK_BYTES(p->max_text_bytes);
    c->work = mdm_arena_scratch(a, c->work_size);
    c->ids = mdm_arena_scratch(a, (size_t)hp->text_len * sizeof(int32_t));
}
