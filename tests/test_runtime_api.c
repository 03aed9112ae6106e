/* The runtime's C API at its edges: context sizing and caller buffers,
 * hostile arguments to every call, generation parameters, cancellation,
 * text buffers, determinism, and one model shared by contexts on threads. */
#include "check.h"
#include "context.h"
#include "test_runtime_util.h"
#include <pthread.h>

static mdm_model *M;
static mdm_ctx *CTX;
static mdm_model_info I;
static size_t NPIX, NLAT;

/* ---- contexts ------------------------------------------------------------ */

static void test_ctx_sizing(void) {
    mdm_ctx_params p = mdm_ctx_params_init();
    mdm_ctx *c = (mdm_ctx *)1;
    CHECK(mdm_ctx_size(NULL, NULL) == 0);
    CHECK(mdm_ctx_create(NULL, NULL, NULL, 0, &c) == MDM_ERR_INVALID_ARG && c == NULL);
    CHECK(mdm_ctx_create(M, NULL, NULL, 0, NULL) == MDM_ERR_INVALID_ARG);
    p.max_text_bytes = 0;
    CHECK(mdm_ctx_size(M, &p) == 0);
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_ERR_INVALID_ARG);
    p = mdm_ctx_params_init();
    size_t need = mdm_ctx_size(M, &p);
    CHECK(need > 0);
    /* The exact size at every alignment works; one byte less may not. */
    unsigned char *buf = malloc(need + 64);
    for (size_t off = 0; off < 64; off += 7) {
        CHECK(mdm_ctx_create(M, &p, buf + off, need, &c) == MDM_OK);
        mdm_ctx_free(c);
    }
    CHECK(mdm_ctx_create(M, &p, buf, need - MDM_ARENA_SLACK - 1, &c) == MDM_ERR_BUFFER_TOO_SMALL);
    CHECK(mdm_ctx_create(M, &p, buf, 16, &c) == MDM_ERR_BUFFER_TOO_SMALL);
    free(buf);
    mdm_ctx_free(NULL);
    CHECK(mdm_ctx_text_cap(NULL) == 0 && mdm_ctx_text_cap(CTX) > (size_t)I.text_len);
}

/* ---- the denoiser ------------------------------------------------------ */

static void test_denoise_args(void) {
    const int Lt = I.text_len, V = I.vocab_size;
    float lat[2 * 256] = {0}, v[2 * 256], ti[2] = {0.5f, 0.5f}, tt[2] = {0.0f, 1.0f};
    float *s = malloc(2 * (size_t)Lt * (V + 1) * sizeof *s);
    int32_t tok[2 * 64] = {0}, task[2] = {0, 1};
    CHECK(NLAT <= 256 && Lt <= 64);
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_OK);
    CHECK(mdm_denoise(CTX, 1, lat, tok, ti, tt, task, NULL, NULL) == MDM_OK);
    CHECK(mdm_denoise(CTX, 0, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_denoise(CTX, 3, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_denoise(NULL, 1, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_denoise(CTX, 1, NULL, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    v[0] = 12345.0f;
    tok[Lt + 3] = V + 1; /* sample 1 is bad: nothing of sample 0 is written either */
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    CHECK(v[0] == 12345.0f);
    tok[Lt + 3] = -1;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    tok[Lt + 3] = V; /* MASK is a valid input */
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_OK);
    ti[1] = NAN;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    ti[1] = 1.5f;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    ti[1] = 1.0f, tt[0] = -0.1f;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    tt[0] = 0.0f, task[1] = 4;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    task[1] = 3, lat[NLAT + 5] = INFINITY;
    CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, v, s) == MDM_ERR_INVALID_ARG);
    free(s);
}

/* ---- text ---------------------------------------------------------------- */

static void test_tokenize(void) {
    const int Lt = I.text_len;
    int32_t ids[64];
    size_t n;
    CHECK(mdm_tokenize(CTX, "", 0, ids, &n) == MDM_OK && n == 1 && ids[0] == M->vocab.eos_id);
    CHECK(ids[Lt - 1] == M->vocab.pad_id);
    CHECK(mdm_tokenize(CTX, NULL, 0, ids, &n) == MDM_OK);
    CHECK(mdm_tokenize(CTX, NULL, 3, ids, &n) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_tokenize(CTX, "a", 1, NULL, &n) == MDM_ERR_INVALID_ARG);
    const char bad[] = "\xff\xfe a \xc3\x28 photo";
    CHECK(mdm_tokenize(CTX, bad, sizeof bad - 1, ids, &n) == MDM_OK);
    char longtext[600];
    for (size_t i = 0; i < sizeof longtext; i++)
        longtext[i] = i % 2 ? ' ' : (char)('a' + i % 26);
    CHECK(mdm_tokenize(CTX, longtext, sizeof longtext, ids, &n) == MDM_ERR_TEXT_TOO_LONG);
    CHECK(n > (size_t)Lt);
    char *huge = calloc(5000, 1);
    CHECK(mdm_tokenize(CTX, huge, 5000, ids, &n) == MDM_ERR_TEXT_TOO_LONG); /* > max_text_bytes */
    free(huge);
}

static void test_detokenize(void) {
    const int Lt = I.text_len, V = I.vocab_size;
    int32_t ids[64];
    size_t n, len;
    char out[256];
    const char *text = "a photo of a sneaker";
    CHECK(mdm_tokenize(CTX, text, strlen(text), ids, &n) == MDM_OK);
    ids[1] = V; /* MASK and PAD are dropped, EOS ends the text */
    CHECK(mdm_detokenize(CTX, ids, (size_t)Lt, out, sizeof out, &len) == MDM_OK);
    CHECK(len == strlen(out) && len > 0);
    CHECK(mdm_detokenize(CTX, ids, (size_t)Lt, out, 2, &len) == MDM_ERR_BUFFER_TOO_SMALL);
    CHECK(len > 2 && out[0] == '\0');
    CHECK(mdm_detokenize(CTX, ids, (size_t)Lt + 1, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    ids[0] = V + 1;
    CHECK(mdm_detokenize(CTX, ids, (size_t)Lt, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    ids[0] = -7;
    CHECK(mdm_detokenize(CTX, ids, (size_t)Lt, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_detokenize(CTX, NULL, 0, out, sizeof out, &len) == MDM_OK && len == 0);
}

/* ---- images -------------------------------------------------------------- */

static void test_image_calls(void) {
    uint8_t *px = malloc(NPIX), *back = malloc(NPIX);
    float lat[256], *planar = malloc(NPIX * sizeof *planar);
    for (size_t i = 0; i < NPIX; i++)
        px[i] = (uint8_t)(i * 37), planar[i] = (float)px[i] / 127.5f - 1.0f;
    CHECK(mdm_encode_image(CTX, px, NPIX, lat) == MDM_OK);
    float lat2[256];
    CHECK(mdm_encode_image_f32(CTX, planar, NPIX, lat2) == MDM_OK);
    CHECK(memcmp(lat, lat2, NLAT * sizeof *lat) == 0);
    CHECK(mdm_encode_image(CTX, px, NPIX - 1, lat) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_encode_image(CTX, NULL, NPIX, lat) == MDM_ERR_INVALID_ARG);
    planar[3] = NAN;
    CHECK(mdm_encode_image_f32(CTX, planar, NPIX, lat) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_decode_latent(CTX, lat, back, NPIX) == MDM_OK);
    CHECK(mdm_decode_latent(CTX, lat, back, NPIX + 1) == MDM_ERR_INVALID_ARG);
    lat[0] = NAN;
    CHECK(mdm_decode_latent(CTX, lat, back, NPIX) == MDM_ERR_INVALID_ARG);
    free(px), free(back), free(planar);
}

/* ---- tasks --------------------------------------------------------------- */

typedef struct {
    int calls, last_step, last_total, cancel_at;
} progress_log;

static int on_progress(void *user, int step, int total) {
    progress_log *l = user;
    l->calls++;
    CHECK(step == l->last_step + 1 && step <= total);
    l->last_step = step, l->last_total = total;
    return l->cancel_at && step >= l->cancel_at;
}

static void test_gen_params(void) {
    uint8_t *px = malloc(NPIX);
    mdm_gen_params p = mdm_gen_params_init();
    const char *pr = "a bag";
    p.steps = 0;
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    p.steps = MDM_MAX_STEPS + 1;
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    p = mdm_gen_params_init(), p.shift = 0.0f;
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    p = mdm_gen_params_init(), p.guidance = NAN;
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    p = mdm_gen_params_init(), p.sampler = (mdm_image_sampler)7;
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    p = mdm_gen_params_init(), p.text_steps = -1;
    CHECK(mdm_caption(CTX, px, NPIX, &p, (char[8]){0}, 8, NULL) == MDM_ERR_INVALID_ARG);
    p = mdm_gen_params_init();
    CHECK(mdm_text_to_image(CTX, pr, 5, &p, px, NPIX - 1) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_text_to_image(CTX, NULL, 5, &p, px, NPIX) == MDM_ERR_INVALID_ARG);
    free(px);
}

static void test_cancel_and_determinism(void) {
    uint8_t *a = malloc(NPIX), *b = malloc(NPIX);
    mdm_gen_params p = mdm_gen_params_init();
    progress_log log = {0};
    p.steps = 6, p.guidance = 3.0f, p.seed = 11, p.progress = on_progress, p.user = &log;
    log.cancel_at = 2;
    CHECK(mdm_text_to_image(CTX, "a coat", 6, &p, a, NPIX) == MDM_ERR_CANCELLED);
    CHECK(log.calls == 2 && log.last_total == 6);
    log = (progress_log){0};
    CHECK(mdm_text_to_image(CTX, "a coat", 6, &p, a, NPIX) == MDM_OK);
    CHECK(log.calls == 6 && log.last_step == 6);
    p.progress = NULL;
    CHECK(mdm_text_to_image(CTX, "a coat", 6, &p, b, NPIX) == MDM_OK);
    CHECK(memcmp(a, b, NPIX) == 0);
    p.seed = 12;
    CHECK(mdm_text_to_image(CTX, "a coat", 6, &p, b, NPIX) == MDM_OK);
    CHECK(memcmp(a, b, NPIX) != 0);
    /* Text tasks report text_steps + 1 steps (the final denoising step). */
    char text[512];
    p.progress = on_progress, p.text_steps = 4;
    log = (progress_log){0};
    CHECK(mdm_caption(CTX, a, NPIX, &p, text, sizeof text, NULL) == MDM_OK);
    CHECK(log.calls == 5 && log.last_total == 5);
    log = (progress_log){.cancel_at = 3};
    CHECK(mdm_caption(CTX, a, NPIX, &p, text, sizeof text, NULL) == MDM_ERR_CANCELLED);
    free(a), free(b);
}

static void test_samplers_and_tasks(void) {
    uint8_t *px = malloc(NPIX);
    char text[512], small[2];
    size_t len;
    mdm_gen_params p = mdm_gen_params_init();
    p.steps = 3, p.text_steps = 3, p.sampler = MDM_SAMPLER_HEUN, p.shift = 3.0f;
    CHECK(mdm_text_to_image(CTX, "a bag", 5, &p, px, NPIX) == MDM_OK);
    p.text_sampler = MDM_TEXT_EULER;
    CHECK(mdm_caption(CTX, px, NPIX, &p, text, sizeof text, &len) == MDM_OK && len == strlen(text));
    CHECK(mdm_caption(CTX, px, NPIX, &p, small, sizeof small, &len) == MDM_ERR_BUFFER_TOO_SMALL ||
          len < sizeof small);
    CHECK(mdm_caption(CTX, px, NPIX, &p, NULL, 0, &len) == MDM_ERR_INVALID_ARG);
    const char *q = "is this footwear?";
    CHECK(mdm_vqa(CTX, px, NPIX, q, strlen(q), &p, text, sizeof text, &len) == MDM_OK);
    CHECK(len == strlen(text));
    char longq[200];
    memset(longq, 'x', sizeof longq);
    for (size_t i = 1; i < sizeof longq; i += 2)
        longq[i] = ' ';
    CHECK(mdm_vqa(CTX, px, NPIX, longq, sizeof longq, &p, text, sizeof text, &len) ==
          MDM_ERR_TEXT_TOO_LONG);
    CHECK(mdm_vqa(CTX, px, NPIX, NULL, 4, &p, text, sizeof text, &len) == MDM_ERR_INVALID_ARG);
    progress_log log = {0};
    p.progress = on_progress, p.user = &log;
    CHECK(mdm_joint(CTX, &p, px, NPIX, text, sizeof text, &len) == MDM_OK);
    CHECK(log.calls == 4 && len == strlen(text));
    free(px);
}

/* ---- threads ------------------------------------------------------------- */

typedef struct {
    uint64_t seed;
    uint8_t *px;
    char text[256];
    mdm_status st;
} thread_job;

static void *worker(void *arg) {
    thread_job *j = arg;
    mdm_ctx *c;
    mdm_gen_params p = mdm_gen_params_init();
    p.steps = 4, p.text_steps = 4, p.seed = j->seed, p.guidance = 2.0f;
    j->st = mdm_ctx_create(M, NULL, NULL, 0, &c);
    if (j->st == MDM_OK && (j->st = mdm_text_to_image(c, "a shirt", 7, &p, j->px, NPIX)) == MDM_OK)
        j->st = mdm_caption(c, j->px, NPIX, &p, j->text, sizeof j->text, NULL);
    mdm_ctx_free(c);
    return NULL;
}

static void test_threads(void) {
    enum { T = 3 };
    thread_job jobs[T], solo[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        jobs[i] = (thread_job){.seed = (uint64_t)i, .px = malloc(NPIX)};
        solo[i] = (thread_job){.seed = (uint64_t)i, .px = malloc(NPIX)};
        worker(&solo[i]);
    }
    for (int i = 0; i < T; i++)
        CHECK(pthread_create(&th[i], NULL, worker, &jobs[i]) == 0);
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].st == MDM_OK && solo[i].st == MDM_OK);
        CHECK(memcmp(jobs[i].px, solo[i].px, NPIX) == 0 && strcmp(jobs[i].text, solo[i].text) == 0);
        free(jobs[i].px), free(solo[i].px);
    }
}

/* The usage example at the top of the runtime section of mdm_rt.h, on a
 * model file (the golden model written to build/). */
static void test_header_example(void) {
    const char *path = "build/test_runtime_api-golden.gguf";
    size_t size;
    uint8_t *bytes = golden_model(MDM_TYPE_Q8_0, &size);
    FILE *f = fopen(path, "wb");
    CHECK(bytes && f && fwrite(bytes, 1, size, f) == size);
    if (f)
        fclose(f);
    free(bytes);
    char err[256];
    mdm_model *m;
    mdm_ctx *c;
    CHECK(mdm_model_open_file(path, NULL, &m, err, sizeof err) == MDM_OK);
    CHECK(mdm_ctx_create(m, NULL, NULL, 0, &c) == MDM_OK);
    mdm_gen_params g = mdm_gen_params_init();
    g.seed = 1, g.guidance = 3.0f;
    uint8_t px[32 * 32];
    CHECK(NPIX == sizeof px);
    CHECK(mdm_text_to_image(c, "a photo of a bag", 16, &g, px, sizeof px) == MDM_OK);
    char text[256];
    CHECK(mdm_caption(c, px, sizeof px, &g, text, sizeof text, NULL) == MDM_OK);
    mdm_ctx_free(c);
    mdm_model_free(m);
    remove(path);
}

static void test_scratch_within_plan(void) {
    size_t total, plan, peak;
    mdm_ctx_memory(CTX, &total, &plan, &peak);
    CHECKF(peak <= plan && total == mdm_ctx_size(M, NULL), "peak %zu plan %zu total %zu size %zu",
           peak, plan, total, mdm_ctx_size(M, NULL));
}

int main(void) {
    size_t size;
    uint8_t *file = golden_model(MDM_TYPE_F32, &size);
    char err[256];
    if (!file || mdm_model_open_memory(file, size, NULL, &M, err, sizeof err) != MDM_OK ||
        mdm_ctx_create(M, NULL, NULL, 0, &CTX) != MDM_OK) {
        printf("FAIL setup: golden model unusable\n");
        return 1;
    }
    mdm_model_get_info(M, &I);
    NPIX = (size_t)I.image_size * I.image_size * I.image_channels;
    NLAT = (size_t)I.latent_channels * (I.image_size / I.vae_factor) * (I.image_size / I.vae_factor);
    RUN(test_ctx_sizing);
    RUN(test_denoise_args);
    RUN(test_tokenize);
    RUN(test_detokenize);
    RUN(test_image_calls);
    RUN(test_gen_params);
    RUN(test_cancel_and_determinism);
    RUN(test_samplers_and_tasks);
    RUN(test_threads);
    RUN(test_header_example);
    RUN(test_scratch_within_plan);
    mdm_ctx_free(CTX);
    mdm_model_free(M);
    free(file);
    CHECK_EXIT();
}
