/* The four tasks of spec §4 as thin compositions of the tokenizer, the VAE,
 * the denoiser and the samplers of src/sample/, which reach the network
 * through the callbacks defined here.  Sample k of a request uses seed + k
 * (the caller's loop); streams as src/sample/pcg32.h. */
#include "context.h"
#include "params.h"
#include "sample/flow.h"
#include "sample/sedd.h"
#include <math.h>
#include <string.h>

void mdm_gen_params_defaults(mdm_gen_params *p, size_t struct_size) {
    const mdm_gen_params def = {.struct_size = sizeof def, .steps = 20,
                                .sampler = MDM_SAMPLER_EULER, .text_steps = 16,
                                .text_sampler = MDM_TEXT_CONFIDENT, .guidance = 1.0f,
                                .shift = 1.0f};
    mdm_params_fill(p, struct_size, &def, sizeof def);
}

static int gen_params_ok(const mdm_gen_params *p) {
    return p->steps >= 1 && p->steps <= MDM_MAX_STEPS && p->text_steps >= 1 &&
           p->text_steps <= MDM_MAX_STEPS &&
           (p->sampler == MDM_SAMPLER_EULER || p->sampler == MDM_SAMPLER_HEUN) &&
           (p->text_sampler == MDM_TEXT_ANALYTIC || p->text_sampler == MDM_TEXT_EULER ||
            p->text_sampler == MDM_TEXT_CONFIDENT) &&
           isfinite(p->guidance) && isfinite(p->shift) && p->shift > 0.0f;
}

void mdm_task_state_carve(mdm_arena *a, const mdm_hparams *hp, mdm_task_state *s) {
    const size_t Lt = (size_t)hp->text_len, V1 = (size_t)hp->vocab_size + 1;
    const size_t n = mdm_latent_count(hp);
    s->tokens = mdm_arena_scratch(a, 2 * Lt * sizeof(int32_t));
    s->frozen = mdm_arena_scratch(a, Lt);
    s->x = mdm_arena_floats(a, n);
    s->v = mdm_arena_floats(a, 2 * n);
    s->heun = mdm_arena_floats(a, 2 * n);
    s->text = mdm_arena_floats(a, 2 * Lt * V1 + V1);
    s->grid = mdm_arena_scratch(a, (MDM_MAX_STEPS + 1) * sizeof(double));
    s->tgrid = mdm_arena_scratch(a, (MDM_MAX_STEPS + 1) * sizeof(double));
}

/* One task in flight: what the sampler callbacks need. */
typedef struct {
    mdm_ctx *ctx;
    mdm_task_state s;
    const mdm_gen_params *p; /* = &params */
    mdm_gen_params params;   /* the caller's, read over the defaults */
    int task;
    size_t n;            /* latent floats */
    const float *latent; /* the clean latent of caption and VQA */
    int calls, total;    /* progress of the text sampler */
} task_run;

/* Opens a task: checks the common arguments and carves the state.  The
 * caller must mdm_arena_reset(&ctx->arena, *mark) whatever happens. */
static mdm_status task_open(task_run *r, mdm_ctx *ctx, const mdm_gen_params *p, int task,
                            size_t *mark) {
    memset(r, 0, sizeof *r);
    *mark = mdm_arena_mark(&ctx->arena);
    r->params = mdm_gen_params_init();
    mdm_status st = mdm_params_take(&r->params, sizeof r->params, p);
    if (st != MDM_OK)
        return st;
    if (!gen_params_ok(&r->params))
        return MDM_ERR_INVALID_ARG;
    const mdm_hparams *hp = &ctx->m->hp;
    r->ctx = ctx, r->p = &r->params, r->task = task;
    r->n = mdm_latent_count(hp);
    mdm_task_state_carve(&ctx->arena, hp, &r->s);
    return mdm_arena_ok(&ctx->arena) ? MDM_OK : MDM_ERR_INTERNAL;
}

static mdm_status report(const task_run *r, int step, int total) {
    if (r->p->progress && r->p->progress(r->p->user, step, total))
        return MDM_ERR_CANCELLED;
    return MDM_OK;
}

/* ---- text-to-image ------------------------------------------------------ */

/* Velocity at x with clean text; with guidance != 1 the unconditional
 * branch (text all MASK at text time 1) runs in the same batch. */
static mdm_status velocity(void *user, const float *x, float t, float *v_out) {
    task_run *r = user;
    const int Lt = r->ctx->m->hp.text_len;
    float *v_unc = r->s.v + r->n;
    mdm_den_io io[2] = {{x, r->s.tokens, t, 0.0f, r->task, v_out, NULL},
                        {x, r->s.tokens + Lt, t, 1.0f, r->task, v_unc, NULL}};
    if (r->p->guidance == 1.0f)
        return mdm_ctx_forward(r->ctx, io, 1);
    mdm_status st = mdm_ctx_forward(r->ctx, io, 2);
    if (st == MDM_OK)
        mdm_flow_guide(v_out, v_out, v_unc, r->n, r->p->guidance);
    return st;
}

static mdm_status flow_loop(task_run *r) {
    const mdm_gen_params *p = r->p;
    double *ts = r->s.grid;
    mdm_flow_grid(ts, p->steps, p->shift);
    mdm_flow_initial_noise(r->s.x, r->n, p->seed);
    for (int i = 0; i < p->steps; i++) {
        mdm_status st = velocity(r, r->s.x, (float)ts[i], r->s.v);
        if (st == MDM_OK && p->sampler == MDM_SAMPLER_HEUN)
            st = mdm_flow_heun_step(r->s.x, r->s.v, r->n, ts[i], ts[i + 1], velocity, r, r->s.heun);
        else if (st == MDM_OK)
            mdm_flow_euler_step(r->s.x, r->s.v, r->n, ts[i], ts[i + 1]);
        if (st == MDM_OK)
            st = report(r, i + 1, p->steps);
        if (st != MDM_OK)
            return st;
    }
    return MDM_OK;
}

mdm_status mdm_text_to_image(mdm_ctx *ctx, const char *prompt, size_t prompt_len,
                             const mdm_gen_params *p, uint8_t *pixels, size_t n) {
    mdm_gen_params def = mdm_gen_params_init();
    if (!ctx || (!prompt && prompt_len) || !pixels || n != mdm_pixel_count(&ctx->m->hp))
        return MDM_ERR_INVALID_ARG;
    task_run r;
    size_t mark;
    mdm_status st = task_open(&r, ctx, p ? p : &def, MDM_TASK_T2I, &mark);
    if (st == MDM_OK)
        st = mdm_tokenize(ctx, prompt, prompt_len, r.s.tokens, NULL);
    if (st == MDM_OK) {
        const int Lt = ctx->m->hp.text_len, mask = ctx->m->hp.vocab_size;
        for (int i = 0; i < Lt; i++)
            r.s.tokens[Lt + i] = mask;
        st = flow_loop(&r);
    }
    if (st == MDM_OK)
        st = mdm_ctx_decode(ctx, r.s.x, pixels);
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

/* ---- caption and VQA ---------------------------------------------------- */

/* Log-scores of the text at time t with the clean latent (image time 0). */
static mdm_status score(void *user, const int32_t *tokens, float t, float *s_out) {
    task_run *r = user;
    /* Called once per step, then once for the final step: report the step
     * just finished before starting the next. */
    if (r->calls > 0) {
        mdm_status st = report(r, r->calls, r->total);
        if (st != MDM_OK)
            return st;
    }
    r->calls++;
    mdm_den_io io = {r->latent, tokens, 0.0f, t, r->task, NULL, s_out};
    return mdm_ctx_forward(r->ctx, &io, 1);
}

static mdm_status text_from_mask(task_run *r, int32_t *tokens) {
    const mdm_hparams *hp = &r->ctx->m->hp;
    const mdm_gen_params *p = r->p;
    r->latent = r->s.x;
    r->total = p->text_steps + 1;
    mdm_status st = mdm_sedd_sample(tokens, r->s.frozen, hp->text_len, hp->vocab_size,
                                    p->text_steps, p->text_sampler, p->seed,
                                    score, r, r->s.tgrid, r->s.text);
    return st == MDM_OK ? report(r, r->total, r->total) : st;
}

/* Encodes the image into the state's latent after the common checks. */
static mdm_status open_image_task(task_run *r, mdm_ctx *ctx, const mdm_gen_params *p, int task,
                                  const uint8_t *pixels, size_t *mark) {
    mdm_status st = task_open(r, ctx, p, task, mark);
    if (st == MDM_OK)
        st = mdm_ctx_encode(ctx, pixels, NULL, r->s.x);
    return st;
}

/* Caption into r->s.tokens; the caller resets the arena to *mark. */
static mdm_status caption_run(task_run *r, mdm_ctx *ctx, const uint8_t *pixels,
                              const mdm_gen_params *p, size_t *mark) {
    mdm_status st = open_image_task(r, ctx, p, MDM_TASK_CAPTION, pixels, mark);
    if (st == MDM_OK) {
        memset(r->s.frozen, 0, (size_t)ctx->m->hp.text_len);
        st = text_from_mask(r, r->s.tokens);
    }
    return st;
}

mdm_status mdm_task_caption(mdm_ctx *ctx, const uint8_t *pixels, const mdm_gen_params *p,
                            int32_t *tokens) {
    task_run r;
    size_t mark;
    mdm_status st = caption_run(&r, ctx, pixels, p, &mark);
    if (st == MDM_OK)
        memcpy(tokens, r.s.tokens, (size_t)ctx->m->hp.text_len * sizeof *tokens);
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

static mdm_status check_text_out(mdm_ctx *ctx, const uint8_t *pixels, size_t n, char *text,
                                  size_t cap) {
    if (!ctx || !pixels || n != mdm_pixel_count(&ctx->m->hp) || !text || !cap)
        return MDM_ERR_INVALID_ARG;
    return MDM_OK;
}

mdm_status mdm_caption(mdm_ctx *ctx, const uint8_t *pixels, size_t n, const mdm_gen_params *p,
                       char *text, size_t cap, size_t *len) {
    mdm_gen_params def = mdm_gen_params_init();
    mdm_status st = check_text_out(ctx, pixels, n, text, cap);
    if (st != MDM_OK)
        return st;
    task_run r;
    size_t mark;
    st = caption_run(&r, ctx, pixels, p ? p : &def, &mark);
    if (st == MDM_OK)
        st = mdm_detokenize(ctx, r.s.tokens, (size_t)ctx->m->hp.text_len, text, cap, len);
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

mdm_status mdm_vqa(mdm_ctx *ctx, const uint8_t *pixels, size_t n, const char *question,
                   size_t question_len, const mdm_gen_params *p, char *answer, size_t cap,
                   size_t *len) {
    mdm_gen_params def = mdm_gen_params_init();
    mdm_status st = check_text_out(ctx, pixels, n, answer, cap);
    if (st == MDM_OK && !question && question_len)
        st = MDM_ERR_INVALID_ARG;
    if (st != MDM_OK)
        return st;
    const size_t Lt = (size_t)ctx->m->hp.text_len;
    task_run r;
    size_t mark, n_ids = 0;
    /* The question's pieces stay fixed; its EOS position is the first the
     * answer may take (training froze the question pieces alone). */
    st = task_open(&r, ctx, p ? p : &def, MDM_TASK_VQA, &mark);
    if (st == MDM_OK)
        st = mdm_tokenize(ctx, question, question_len, r.s.tokens, &n_ids);
    if (st == MDM_OK) {
        for (size_t i = 0; i < Lt; i++)
            r.s.frozen[i] = i + 1 < n_ids;
        st = mdm_ctx_encode(ctx, pixels, NULL, r.s.x);
    }
    if (st == MDM_OK)
        st = text_from_mask(&r, r.s.tokens);
    if (st == MDM_OK)
        st = mdm_detokenize(ctx, r.s.tokens + (n_ids - 1), Lt - (n_ids - 1), answer, cap, len);
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}

/* ---- joint -------------------------------------------------------------- */

/* Image and text from noise together: one forward per step gives both the
 * velocity (Euler step) and the log-scores (text step), as the reference. */
static mdm_status joint_loop(task_run *r) {
    const mdm_hparams *hp = &r->ctx->m->hp;
    const mdm_gen_params *p = r->p;
    const int Lt = hp->text_len, V = hp->vocab_size, steps = p->steps;
    const size_t ns = (size_t)Lt * (size_t)(V + 1);
    float *s = r->s.text, *g = s + ns, *row = g + ns;
    int32_t *tok = r->s.tokens;
    double *ti = r->s.grid, *tt = r->s.tgrid;
    mdm_pcg32 rng;
    mdm_pcg32_seed(&rng, p->seed, MDM_STREAM_TEXT);
    mdm_flow_grid(ti, steps, p->shift);
    mdm_sedd_grid(tt, steps);
    mdm_flow_initial_noise(r->s.x, r->n, p->seed);
    for (int i = 0; i < Lt; i++)
        tok[i] = V, r->s.frozen[i] = 0;
    mdm_status st = MDM_OK;
    for (int k = 0; k < steps && st == MDM_OK; k++) {
        mdm_den_io io = {r->s.x, tok, (float)ti[k], (float)tt[k], MDM_TASK_JOINT, r->s.v, s};
        if ((st = mdm_ctx_forward(r->ctx, &io, 1)) != MDM_OK)
            break;
        mdm_flow_euler_step(r->s.x, r->s.v, r->n, ti[k], ti[k + 1]);
        if (p->text_sampler == MDM_TEXT_CONFIDENT) {
            mdm_sedd_confident_step(tok, s, r->s.frozen, Lt, V, Lt, tt[k + 1], g);
        } else {
            mdm_sedd_draw_gumbel(&rng, g, Lt, V);
            mdm_sedd_step(tok, s, g, r->s.frozen, Lt, V, mdm_sedd_dsigma(tt[k], tt[k + 1]),
                          p->text_sampler == MDM_TEXT_ANALYTIC, row);
        }
        st = report(r, k + 1, steps + 1);
    }
    if (st == MDM_OK) {
        mdm_den_io io = {r->s.x, tok, 0.0f, (float)tt[steps], MDM_TASK_JOINT, NULL, s};
        st = mdm_ctx_forward(r->ctx, &io, 1);
    }
    if (st == MDM_OK) {
        mdm_sedd_final(tok, s, r->s.frozen, Lt, V);
        st = report(r, steps + 1, steps + 1);
    }
    return st;
}

mdm_status mdm_joint(mdm_ctx *ctx, const mdm_gen_params *p, uint8_t *pixels, size_t n, char *text,
                     size_t cap, size_t *len) {
    mdm_gen_params def = mdm_gen_params_init();
    if (!ctx || !pixels || n != mdm_pixel_count(&ctx->m->hp) || !text || !cap)
        return MDM_ERR_INVALID_ARG;
    task_run r;
    size_t mark;
    mdm_status st = task_open(&r, ctx, p ? p : &def, MDM_TASK_JOINT, &mark);
    if (st == MDM_OK)
        st = joint_loop(&r);
    if (st == MDM_OK)
        st = mdm_ctx_decode(ctx, r.s.x, pixels);
    if (st == MDM_OK)
        st = mdm_detokenize(ctx, r.s.tokens, (size_t)ctx->m->hp.text_len, text, cap, len);
    mdm_arena_reset(&ctx->arena, mark);
    return st;
}
