/* The runtime against the PyTorch reference: golden vectors of the random
 * model (tests/golden/random, tools/reference/golden.py) and, when present,
 * of the demo model (tests/golden/demo with the checkpoint in
 * models/mdm-fmnist), converted to F32 in memory.  Every numeric case must
 * agree to a relative error of 1e-5 (max |c - ref| / max |ref|); the seeded
 * end-to-end runs must give the reference's caption tokens and an image
 * within 40 dB PSNR. */
#include "check.h"
#include "context.h"
#include "sample/flow.h"
#include "sample/sedd.h"
#include "test_runtime_util.h"

#define TOL 1e-5

static golden_file G;
static mdm_model *M;
static mdm_ctx *CTX;

/* Golden tensors a case needs; freed at the end of the case.  A missing
 * one fails the case: a case that compares with nothing must not pass. */
static float *gf(const char *name, size_t *n) {
    float *f = golden_f32(&G, name, n);
    CHECKF(f != NULL, "golden tensor %s missing", name);
    return f;
}

#define CHECK_REL(got, want, n, what)                                                   \
    do {                                                                                \
        double e_ = rel_err(got, want, n);                                              \
        printf("  %-14s rel err %.2e\n", what, e_);                                     \
        CHECKF(e_ <= TOL, "%s: relative error %.3g > %g", what, e_, TOL);              \
    } while (0)

static void test_blocks(void) {
    const mdm_hparams *hp = &M->hp;
    size_t n;
    float *x0 = gf("block.x", &n);
    float *x = malloc(n * sizeof *x), *A = malloc((size_t)hp->d_inner * hp->d_state * sizeof *A);
    int32_t *perm = malloc((size_t)hp->seq_len * sizeof *perm);
    mdm_arena a;
    size_t bytes = 1 << 20;
    void *buf = malloc(bytes);
    mdm_arena_init(&a, buf, bytes);
    mdm_mamba_work w;
    mdm_mamba_work_carve(&a, hp, &w);
    CHECK(mdm_arena_ok(&a) && x0 && n == (size_t)hp->seq_len * hp->d_model);
    for (int l = 0; l < 4 && x0 && mdm_arena_ok(&a); l++) {
        char name[32];
        snprintf(name, sizeof name, "block%d.y", l);
        float *want = gf(name, NULL);
        memcpy(x, x0, n * sizeof *x);
        mdm_mamba_prepare_A(hp, &M->layers[l], A);
        CHECK(mdm_scan_permutation(hp, hp->scan_orders[l % 4], perm));
        mdm_mamba_block(hp, &M->layers[l], A, perm, x, &w);
        if (want) /* gf() failed the case when it is missing */
            CHECK_REL(x, want, n, name);
        free(want);
    }
    free(buf), free(perm), free(A), free(x), free(x0);
}

static void test_time_embedding(void) {
    const int d = M->hp.d_model;
    size_t nt;
    float *t = gf("time.t", &nt), *wi = gf("time.image", NULL), *wt = gf("time.text", NULL);
    float *gi = malloc(nt * d * sizeof *gi), *gt = malloc(nt * d * sizeof *gt);
    mdm_arena a;
    void *buf = malloc(1 << 20);
    mdm_arena_init(&a, buf, 1 << 20);
    mdm_den_work w;
    mdm_den_work_carve(&a, &M->hp, &w);
    CHECK(t && wi && wt && mdm_arena_ok(&a));
    for (size_t i = 0; t && i < nt; i++) {
        mdm_time_embed(&M->time_image, t[i], d, gi + i * d, &w);
        mdm_time_embed(&M->time_text, t[i], d, gt + i * d, &w);
    }
    if (t && wi && wt) {
        CHECK_REL(gi, wi, nt * d, "time.image");
        CHECK_REL(gt, wt, nt * d, "time.text");
    }
    free(buf), free(gi), free(gt), free(t), free(wi), free(wt);
}

static void test_vae(void) {
    size_t ni, nl;
    float *img = gf("vae.image", &ni), *mu = gf("vae.mu", &nl), *lv = gf("vae.logvar", NULL);
    float *z = gf("vae.z", NULL), *dec = gf("vae.decoded", NULL);
    float *gmu = malloc(nl * sizeof *gmu), *glv = malloc(nl * sizeof *glv);
    float *gdec = malloc(ni * sizeof *gdec);
    mdm_arena a;
    size_t bytes = 4 << 20;
    void *buf = malloc(bytes);
    mdm_arena_init(&a, buf, bytes);
    mdm_vae_work w;
    mdm_vae_work_carve(&a, M, &w);
    CHECK(img && mu && lv && z && dec && mdm_arena_ok(&a));
    if (img && mu && lv && z && dec && mdm_arena_ok(&a)) {
        CHECK(mdm_vae_encode(M, img, gmu, glv, &w) == MDM_OK);
        CHECK(mdm_vae_decode(M, z, gdec, &w) == MDM_OK);
        CHECK_REL(gmu, mu, nl, "vae.mu");
        CHECK_REL(glv, lv, nl, "vae.logvar");
        CHECK_REL(gdec, dec, ni, "vae.decoded");
        /* The public call scales mu by vae.scaling_factor. */
        float *lat = malloc(nl * sizeof *lat);
        CHECK(mdm_encode_image_f32(CTX, img, ni, lat) == MDM_OK);
        for (size_t i = 0; i < nl; i++)
            gmu[i] *= M->hp.vae_scaling_factor;
        /* Exact on the reference kernels; within rounding on a SIMD set. */
        const double tol = strcmp(mdm_ctx_kernels(CTX), "scalar") == 0 ? 0 : 1e-5;
        CHECKF(rel_err(lat, gmu, nl) <= tol, "mdm_encode_image_f32 differs from mu * scaling");
        free(lat);
    }
    free(buf), free(gmu), free(glv), free(gdec), free(img), free(mu), free(lv), free(z), free(dec);
}

static void test_forward(void) {
    size_t nl, ns, n;
    float *lat = gf("fwd.latents", &nl), *ti = gf("fwd.t_image", NULL), *tt = gf("fwd.t_text", NULL);
    float *v = gf("fwd.v", NULL), *s = gf("fwd.s", &ns);
    int32_t *tok = golden_i32(&G, "fwd.tokens", &n), *task = golden_i32(&G, "fwd.task", &n);
    CHECK(lat && ti && tt && v && s && tok && task);
    if (lat && ti && tt && v && s && tok && task) {
        float *gv = malloc(nl * sizeof *gv), *gs = malloc(ns * sizeof *gs);
        CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, gv, gs) == MDM_OK);
        CHECK_REL(gv, v, nl, "fwd.v");
        CHECK_REL(gs, s, ns, "fwd.s");
        free(gv), free(gs);
    }
    free(lat), free(ti), free(tt), free(v), free(s), free(tok), free(task);
}

/* Velocity with clean text (t_text 0) through the public forward, for the
 * sampler steps; the CFG variant runs both branches as one batch. */
typedef struct {
    const int32_t *tokens; /* [2][Lt]: clean, all MASK */
    float guidance;
    size_t n;
} vel_user;

static mdm_status vel(void *user, const float *x, float t, float *v) {
    vel_user *u = user;
    float xs[2 * 256], vs[2 * 256], ti[2] = {t, t}, tt[2] = {0.0f, 1.0f};
    int32_t task[2] = {0, 0};
    if (u->n > 256)
        return MDM_ERR_INTERNAL;
    memcpy(xs, x, u->n * sizeof *x);
    memcpy(xs + u->n, x, u->n * sizeof *x);
    int batch = u->guidance == 1.0f ? 1 : 2;
    mdm_status st = mdm_denoise(CTX, batch, xs, u->tokens, ti, tt, task, vs, NULL);
    if (st == MDM_OK && batch == 1)
        memcpy(v, vs, u->n * sizeof *v);
    else if (st == MDM_OK)
        mdm_flow_guide(v, vs, vs + u->n, u->n, u->guidance);
    return st;
}

static void test_sampler_steps(void) {
    const int Lt = M->hp.text_len;
    size_t n, nt, ng;
    float *lat = gf("fwd.latents", NULL), *grid = gf("step.grid", &ng);
    float *euler = gf("step.euler", &n), *heun = gf("step.heun", NULL), *cfg = gf("step.cfg_v", NULL);
    int32_t *tok = golden_i32(&G, "step.tokens", &nt);
    CHECK(lat && grid && ng == 5 && euler && heun && cfg && tok && nt == (size_t)Lt);
    if (!(lat && grid && ng == 5 && euler && heun && cfg && tok && nt == (size_t)Lt))
        return;
    int32_t both[2 * 64];
    memcpy(both, tok, Lt * sizeof *tok);
    for (int i = 0; i < Lt; i++)
        both[Lt + i] = M->hp.vocab_size;
    double ts[5];
    mdm_flow_grid(ts, 4, 3.0); /* the golden grid, in double as the sampler keeps it */
    vel_user u = {both, 1.0f, n};
    float x[256], v1[256], v[256], scratch[512];
    CHECK(vel(&u, lat, (float)ts[1], v1) == MDM_OK);
    memcpy(x, lat, n * sizeof *x);
    mdm_flow_euler_step(x, v1, n, ts[1], ts[2]);
    CHECK_REL(x, euler, n, "step.euler");
    memcpy(x, lat, n * sizeof *x);
    CHECK(mdm_flow_heun_step(x, v1, n, ts[1], ts[2], vel, &u, scratch) == MDM_OK);
    CHECK_REL(x, heun, n, "step.heun");
    u.guidance = 3.0f;
    CHECK(vel(&u, lat, (float)ts[1], v) == MDM_OK);
    CHECK_REL(v, cfg, n, "step.cfg_v");
    free(lat), free(grid), free(euler), free(heun), free(cfg), free(tok);
}

/* Text steps from text.tokens on this runtime's own log-scores of fwd
 * sample 1: the same tokens as the reference's steps on its scores. */
static void test_text_steps(void) {
    const int Lt = M->hp.text_len, V = M->hp.vocab_size;
    size_t n;
    float *lat = gf("fwd.latents", NULL), *gum = gf("text.gumbel", NULL);
    float *ti = gf("fwd.t_image", NULL), *tt = gf("fwd.t_text", NULL);
    int32_t *tok = golden_i32(&G, "fwd.tokens", &n), *task = golden_i32(&G, "fwd.task", &n);
    int32_t *start = golden_i32(&G, "text.tokens", &n);
    const char *names[4] = {"text.euler", "text.analytic", "text.final", "text.confident"};
    CHECK(lat && gum && ti && tt && tok && task && start);
    if (lat && gum && ti && tt && tok && task && start) {
        float *s = malloc(2 * (size_t)Lt * (V + 1) * sizeof *s), row[1024];
        unsigned char frozen[64] = {1, 1, 1};
        CHECK(mdm_denoise(CTX, 2, lat, tok, ti, tt, task, NULL, s) == MDM_OK);
        float *s1 = s + (size_t)Lt * (V + 1);
        double ds = mdm_sedd_dsigma(0.6, 0.5);
        for (int k = 0; k < 4; k++) {
            int32_t got[64], *want = golden_i32(&G, names[k], &n);
            memcpy(got, start, Lt * sizeof *got);
            if (k < 2)
                mdm_sedd_step(got, s1, gum, frozen, Lt, V, ds, k == 1, row);
            else if (k == 2)
                mdm_sedd_final(got, s1, frozen, Lt, V);
            else /* golden.py: to t_next 0.3 with the Lt - 3 unfrozen positions maskable */
                mdm_sedd_confident_step(got, s1, frozen, Lt, V, Lt - 3, 0.3, row);
            CHECKF(want && memcmp(got, want, Lt * sizeof *got) == 0, "%s tokens differ", names[k]);
            free(want);
        }
        free(s);
    }
    free(lat), free(gum), free(ti), free(tt), free(tok), free(task), free(start);
}

static void test_text_to_image(void) {
    const mdm_hparams *hp = &M->hp;
    size_t n, nt, ns;
    const char *prompt = golden_meta(&G, "prompt");
    uint8_t *want = golden_u8(&G, "t2i.image", &n);
    int32_t *tok = golden_i32(&G, "t2i.tokens", &nt), *seed = golden_i32(&G, "t2i.seed", &ns);
    CHECK(want && tok && seed && n == (size_t)hp->image_size * hp->image_size);
    if (!(want && tok && seed && n == (size_t)hp->image_size * hp->image_size))
        return;
    int32_t ids[64];
    size_t n_ids;
    CHECK(mdm_tokenize(CTX, prompt, strlen(prompt), ids, &n_ids) == MDM_OK);
    CHECKF(memcmp(ids, tok, nt * sizeof *ids) == 0, "prompt tokens differ from t2i.tokens");
    mdm_gen_params p = mdm_gen_params_init();
    p.steps = 8, p.guidance = 2.0f, p.seed = (uint64_t)seed[0];
    uint8_t *px = malloc(n);
    CHECK(mdm_text_to_image(CTX, prompt, strlen(prompt), &p, px, n) == MDM_OK);
    double psnr = psnr_u8(px, want, n);
    printf("  t2i image     PSNR %.1f dB\n", psnr);
    CHECKF(psnr >= 40.0, "t2i PSNR %.1f dB < 40", psnr);
    free(px), free(want), free(tok), free(seed);
}

/* Caption tokens of caption.image with the given sampler against the
 * reference's (tokens golden `name`, text metadata `meta`). */
static void check_caption(mdm_text_sampler sampler, const char *name, const char *meta) {
    const int Lt = M->hp.text_len;
    size_t n, nt, ns;
    uint8_t *px = golden_u8(&G, "caption.image", &n);
    int32_t *want = golden_i32(&G, name, &nt), *seed = golden_i32(&G, "t2i.seed", &ns);
    CHECKF(px && want && seed && nt == (size_t)Lt, "golden %s missing", name);
    if (!(px && want && seed && nt == (size_t)Lt)) {
        free(px), free(want), free(seed);
        return;
    }
    mdm_gen_params p = mdm_gen_params_init();
    p.text_steps = 8, p.seed = (uint64_t)seed[0], p.text_sampler = sampler;
    int32_t got[64];
    CHECK(mdm_task_caption(CTX, px, &p, got) == MDM_OK);
    int same = 0;
    for (int i = 0; i < Lt; i++)
        same += got[i] == want[i];
    printf("  %-22s %d/%d tokens as the reference\n", name, same, Lt);
    CHECKF(same == Lt, "%s differ", name);
    char text[1024];
    size_t len;
    CHECK(mdm_caption(CTX, px, n, &p, text, sizeof text, &len) == MDM_OK);
    const char *ref = golden_meta(&G, meta);
    CHECKF(ref && strcmp(text, ref) == 0, "caption \"%s\", reference \"%s\"", text, ref ? ref : "?");
    CHECK(len == strlen(text) && len < mdm_ctx_text_cap(CTX));
    free(px), free(want), free(seed);
}

static void test_caption(void) {
    check_caption(MDM_TEXT_ANALYTIC, "caption.tokens", "caption");
    check_caption(MDM_TEXT_CONFIDENT, "caption_confident.tokens", "caption_confident");
}

/* VQA on caption.image (confident sampler, 8 steps): the reference's answer. */
static void test_vqa(void) {
    size_t n, ns;
    uint8_t *px = golden_u8(&G, "caption.image", &n);
    int32_t *seed = golden_i32(&G, "t2i.seed", &ns);
    const char *q = golden_meta(&G, "vqa_question"), *want = golden_meta(&G, "vqa_answer");
    CHECKF(px && seed && q && want, "golden vqa_question/vqa_answer missing");
    if (px && seed && q && want) {
        mdm_gen_params p = mdm_gen_params_init();
        p.text_steps = 8, p.seed = (uint64_t)seed[0], p.text_sampler = MDM_TEXT_CONFIDENT;
        char text[1024];
        CHECK(mdm_vqa(CTX, px, n, q, strlen(q), &p, text, sizeof text, NULL) == MDM_OK);
        printf("  vqa            \"%s\" -> \"%s\" (reference \"%s\")\n", q, text, want);
        CHECKF(strcmp(text, want) == 0, "answer \"%s\", reference \"%s\"", text, want);
    }
    free(px), free(seed);
}

/* Joint (6 steps, analytic text sampler): the reference's text and image. */
static void test_joint(void) {
    const mdm_hparams *hp = &M->hp;
    size_t n, ns;
    uint8_t *want = golden_u8(&G, "joint.image", &n);
    int32_t *seed = golden_i32(&G, "t2i.seed", &ns);
    const char *text_want = golden_meta(&G, "joint_text");
    const size_t npix = (size_t)hp->image_size * hp->image_size * hp->image_channels;
    CHECKF(want && seed && text_want && n == npix, "golden joint.image/joint_text missing");
    if (want && seed && text_want && n == npix) {
        mdm_gen_params p = mdm_gen_params_init();
        p.steps = 6, p.seed = (uint64_t)seed[0], p.text_sampler = MDM_TEXT_ANALYTIC;
        uint8_t *px = malloc(n);
        char text[1024];
        CHECK(mdm_joint(CTX, &p, px, n, text, sizeof text, NULL) == MDM_OK);
        double psnr = psnr_u8(px, want, n);
        printf("  joint          \"%s\", image PSNR %.1f dB\n", text, psnr);
        CHECKF(strcmp(text, text_want) == 0, "joint text \"%s\", reference \"%s\"", text, text_want);
        CHECKF(psnr >= 40.0, "joint PSNR %.1f dB < 40", psnr);
        free(px);
    }
    free(want), free(seed);
}

/* After every task ran, the scratch the calls took stays within the plan. */
static void test_memory_plan(void) {
    size_t total, plan, peak;
    mdm_ctx_memory(CTX, &total, &plan, &peak);
    printf("  context %zu bytes, scratch plan %zu, peak %zu\n", total, plan, peak);
    CHECK(peak <= plan && peak > 0 && total == mdm_ctx_size(M, NULL));
}

/* The demo model has no per-op cases: the end-to-end ones run on it. */
static void test_demo_forward(void) { test_forward(); }
static void test_demo_sampler_steps(void) { test_sampler_steps(); }
static void test_demo_text_steps(void) { test_text_steps(); }
static void test_demo_text_to_image(void) { test_text_to_image(); }
static void test_demo_caption(void) { test_caption(); }
static void test_demo_vqa(void) { test_vqa(); }
static void test_demo_joint(void) { test_joint(); }

static uint8_t *FILE_BYTES;

#define DEMO_CKPT "models/mdm-fmnist"
#define DEMO_GOLDEN "tests/golden/demo/golden.safetensors"

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Opens G, M and CTX for a checkpoint and its golden file; 0 when absent. */
static int open_suite(const char *ckpt, const char *golden) {
    size_t size;
    char err[256];
    if (golden_open(&G, golden) != 0)
        return 0;
    FILE_BYTES = golden_model_from(ckpt, MDM_TYPE_F32, &size);
    return FILE_BYTES && mdm_model_open_memory(FILE_BYTES, size, NULL, &M, err, sizeof err) == MDM_OK &&
           mdm_ctx_create(M, NULL, NULL, 0, &CTX) == MDM_OK;
}

static void close_suite(void) {
    mdm_ctx_free(CTX);
    mdm_model_free(M);
    golden_close(&G);
    free(FILE_BYTES);
    CTX = NULL, M = NULL, FILE_BYTES = NULL;
}

int main(void) {
    if (!open_suite(GOLDEN_DIR, GOLDEN_FILE)) {
        printf("FAIL setup: golden model or vectors unusable\n");
        return 1;
    }
    RUN(test_blocks);
    RUN(test_time_embedding);
    RUN(test_vae);
    RUN(test_forward);
    RUN(test_sampler_steps);
    RUN(test_text_steps);
    RUN(test_text_to_image);
    RUN(test_caption);
    RUN(test_vqa);
    RUN(test_joint);
    RUN(test_memory_plan);
    close_suite();
    /* Both are committed: a missing one is a broken checkout, not a skip. */
    if (!file_exists(DEMO_CKPT "/model.safetensors") || !file_exists(DEMO_GOLDEN)) {
        printf("FAIL test_demo: " DEMO_GOLDEN " or " DEMO_CKPT "/model.safetensors missing\n");
        return 1;
    }
    if (!open_suite(DEMO_CKPT, DEMO_GOLDEN)) {
        printf("FAIL test_demo: the demo checkpoint or its golden vectors are unusable\n");
        close_suite();
        return 1;
    }
    printf("  demo model (" DEMO_CKPT "):\n");
    RUN(test_demo_forward);
    RUN(test_demo_sampler_steps);
    RUN(test_demo_text_steps);
    RUN(test_demo_text_to_image);
    RUN(test_demo_caption);
    RUN(test_demo_vqa);
    RUN(test_demo_joint);
    close_suite();
    CHECK_EXIT();
}
