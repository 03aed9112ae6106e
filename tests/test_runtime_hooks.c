/* What the runtime tells its caller: the reason mdm_ctx_create failed (the
 * same kind of text model open gives), the log hook (every diagnostic goes
 * there; the library prints nothing), and the context's progress callback
 * inside encode, decode and mdm_denoise (and inside the tasks), which can
 * cancel them. */
#include "check.h"
#include "test_runtime_util.h"

static mdm_model *M;
static mdm_model_info I;
static uint8_t *FILE_BYTES;
static size_t FILE_SIZE;

typedef struct {
    int n[2]; /* lines per level: ERROR, INFO */
    char last[2][256];
} log_seen;

static void on_log(void *user, mdm_log_level level, const char *msg) {
    log_seen *s = user;
    if (level != MDM_LOG_ERROR && level != MDM_LOG_INFO)
        return;
    s->n[level]++;
    snprintf(s->last[level], sizeof s->last[level], "%s", msg);
}

/* ---- context creation says why ---------------------------------------- */

static void ctx_create_errors(void) {
    char err[256];
    mdm_ctx *c = NULL;
    mdm_ctx_params p = mdm_ctx_params_init();
    p.err = err, p.err_len = sizeof err;

    p.n_threads = 0;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_ERR_INVALID_ARG && !c);
    CHECKF(strstr(err, "n_threads 0") != NULL, "err \"%s\"", err);
    p.n_threads = 1, p.max_text_bytes = 0;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_ERR_INVALID_ARG);
    CHECKF(strstr(err, "max_text_bytes 0") != NULL, "err \"%s\"", err);
    p.max_text_bytes = 100, p.kernels = "no-such-set";
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_ERR_UNSUPPORTED);
    CHECKF(strstr(err, "no-such-set") != NULL, "err \"%s\"", err);
    p.kernels = NULL;
    /* too small a buffer: both sizes in the text */
    unsigned char buf[64];
    size_t need = mdm_ctx_size(M, &p);
    char want[64];
    snprintf(want, sizeof want, "needs %zu", need);
    CHECK(mdm_ctx_create(M, &p, buf, sizeof buf, &c) == MDM_ERR_BUFFER_TOO_SMALL);
    CHECKF(strncmp(err, mdm_strerror(MDM_ERR_BUFFER_TOO_SMALL), 10) == 0 && strstr(err, want),
           "err \"%s\"", err);
    printf("  e.g. \"%s\"\n", err);
    /* a short err buffer is truncated, still terminated */
    p.err_len = 8;
    CHECK(mdm_ctx_create(M, &p, buf, sizeof buf, &c) == MDM_ERR_BUFFER_TOO_SMALL);
    CHECK(strlen(err) == 7);
    /* success leaves err alone and makes a working context */
    err[0] = 'x', p.err_len = sizeof err;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_OK && c && err[0] == 'x');
    mdm_ctx_free(c);
}

/* ---- the log hook ---------------------------------------------------------- */

static void log_hook(void) {
    log_seen s = {0};
    char err[256];
    mdm_model_params mp = mdm_model_params_init();
    mp.log = on_log, mp.log_user = &s;
    mdm_model *m = NULL;
    CHECK(mdm_model_open_memory(FILE_BYTES, FILE_SIZE, &mp, &m, err, sizeof err) == MDM_OK);
    CHECKF(s.n[MDM_LOG_INFO] == 1 && strstr(s.last[MDM_LOG_INFO], "tensors"), "info \"%s\"",
           s.last[MDM_LOG_INFO]);
    mdm_model_free(m);
    /* a failed open: the log gets the err text; without an err buffer too */
    CHECK(mdm_model_open_memory(FILE_BYTES, 100, &mp, &m, err, sizeof err) != MDM_OK);
    CHECKF(s.n[MDM_LOG_ERROR] == 1 && strcmp(s.last[MDM_LOG_ERROR], err) == 0 && err[0],
           "log \"%s\", err \"%s\"", s.last[MDM_LOG_ERROR], err);
    CHECK(mdm_model_open_file("no/such/model.gguf", &mp, &m, NULL, 0) == MDM_ERR_IO);
    CHECKF(s.n[MDM_LOG_ERROR] == 2 && strstr(s.last[MDM_LOG_ERROR], "no/such/model.gguf"),
           "log \"%s\"", s.last[MDM_LOG_ERROR]);

    /* contexts: INFO names the kernel set; a failure its reason */
    log_seen cs = {0};
    mdm_ctx_params p = mdm_ctx_params_init();
    p.log = on_log, p.log_user = &cs;
    mdm_ctx *c = NULL;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_OK);
    CHECKF(cs.n[MDM_LOG_INFO] == 1 && strstr(cs.last[MDM_LOG_INFO], mdm_ctx_kernels(c)),
           "info \"%s\"", cs.last[MDM_LOG_INFO]);
    printf("  e.g. \"%s\"\n", cs.last[MDM_LOG_INFO]);
    /* calls on the context: the details a status cannot carry */
    char text[512] = "";
    for (int i = 0; i < 100; i++)
        strcat(text, "a ");
    int32_t ids[64];
    CHECK(I.text_len <= 64 &&
          mdm_tokenize(c, text, strlen(text), ids, NULL) == MDM_ERR_TEXT_TOO_LONG);
    CHECKF(cs.n[MDM_LOG_ERROR] == 1 && strstr(cs.last[MDM_LOG_ERROR], "need more than"), "log \"%s\"",
           cs.last[MDM_LOG_ERROR]);
    printf("  e.g. \"%s\"\n", cs.last[MDM_LOG_ERROR]);
    mdm_ctx_free(c);
    p.n_threads = MDM_MAX_THREADS + 1;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_ERR_INVALID_ARG);
    CHECKF(cs.n[MDM_LOG_ERROR] == 2 && strstr(cs.last[MDM_LOG_ERROR], "n_threads"), "log \"%s\"",
           cs.last[MDM_LOG_ERROR]);
}

/* ---- progress and cancellation inside the lower-level calls ------------- */

typedef struct {
    int calls, last_step, last_total, cancel_at, steps_in_order;
} progress_seen;

static int on_progress(void *user, int step, int total) {
    progress_seen *s = user;
    s->calls++;
    s->steps_in_order &= step == s->last_step + 1 && step <= total;
    s->last_step = step, s->last_total = total;
    return s->cancel_at && s->calls >= s->cancel_at;
}

static void progress_lowlevel(void) {
    progress_seen s = {.steps_in_order = 1};
    mdm_ctx_params p = mdm_ctx_params_init();
    p.progress = on_progress, p.progress_user = &s;
    mdm_ctx *c = NULL;
    CHECK(mdm_ctx_create(M, &p, NULL, 0, &c) == MDM_OK);
    if (!c)
        return;
    const size_t npix = (size_t)I.image_size * I.image_size * I.image_channels;
    const int side = I.image_size / I.vae_factor;
    const size_t nlat = (size_t)I.latent_channels * side * side;
    uint8_t *px = calloc(npix, 1);
    float *lat = calloc(2 * nlat, sizeof *lat), *v = malloc(2 * nlat * sizeof *v);
    int32_t *tok = calloc(2 * (size_t)I.text_len, sizeof *tok), task[2] = {0, 1};
    float ti[2] = {0.5f, 0.5f}, tt[2] = {0.0f, 1.0f};

    /* whole calls: one step per VAE block or per layer of each sample */
    CHECK(mdm_encode_image(c, px, npix, lat) == MDM_OK);
    CHECKF(s.calls == I.n_vae_encoder_blocks && s.last_total == I.n_vae_encoder_blocks &&
               s.steps_in_order, "encode: %d calls, total %d", s.calls, s.last_total);
    s = (progress_seen){.steps_in_order = 1};
    CHECK(mdm_decode_latent(c, lat, px, npix) == MDM_OK);
    CHECKF(s.calls == I.n_vae_decoder_blocks && s.last_total == I.n_vae_decoder_blocks &&
               s.steps_in_order, "decode: %d calls, total %d", s.calls, s.last_total);
    s = (progress_seen){.steps_in_order = 1};
    CHECK(mdm_denoise(c, 2, lat, tok, ti, tt, task, v, NULL) == MDM_OK);
    CHECKF(s.calls == 2 * I.n_layer && s.last_total == 2 * I.n_layer && s.steps_in_order,
           "denoise: %d calls, total %d", s.calls, s.last_total);

    /* cancelled after the first step of each */
    s = (progress_seen){.cancel_at = 1};
    CHECK(mdm_encode_image(c, px, npix, lat) == MDM_ERR_CANCELLED && s.calls == 1);
    s = (progress_seen){.cancel_at = 1};
    CHECK(mdm_decode_latent(c, lat, px, npix) == MDM_ERR_CANCELLED && s.calls == 1);
    s = (progress_seen){.cancel_at = 1};
    CHECK(mdm_denoise(c, 2, lat, tok, ti, tt, task, v, NULL) == MDM_ERR_CANCELLED && s.calls == 1);
    /* a task's final decode can be stopped too */
    s = (progress_seen){.cancel_at = I.n_layer + 1};
    mdm_gen_params g = mdm_gen_params_init();
    g.steps = 1;
    CHECK(mdm_text_to_image(c, "a bag", 5, &g, px, npix) == MDM_ERR_CANCELLED);
    /* replaced and removed later; the context still works */
    progress_seen s2 = {.steps_in_order = 1};
    mdm_ctx_set_progress(c, on_progress, &s2);
    CHECK(mdm_decode_latent(c, lat, px, npix) == MDM_OK && s2.calls == I.n_vae_decoder_blocks);
    mdm_ctx_set_progress(c, NULL, NULL);
    s2.calls = 0;
    CHECK(mdm_decode_latent(c, lat, px, npix) == MDM_OK && s2.calls == 0);
    mdm_ctx_set_progress(NULL, NULL, NULL); /* harmless */
    free(px), free(lat), free(v), free(tok);
    mdm_ctx_free(c);
}

int main(void) {
    char err[256];
    FILE_BYTES = golden_model(MDM_TYPE_F32, &FILE_SIZE);
    if (!FILE_BYTES || mdm_model_open_memory(FILE_BYTES, FILE_SIZE, NULL, &M, err, sizeof err)) {
        printf("FAIL setup: golden model unusable\n");
        return 1;
    }
    mdm_model_get_info(M, &I);
    RUN(ctx_create_errors);
    RUN(log_hook);
    RUN(progress_lowlevel);
    mdm_model_free(M);
    free(FILE_BYTES);
    CHECK_EXIT();
}
