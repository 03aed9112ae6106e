/* The golden random model and the demo model converted to F16, Q8_0 and
 * Q4_0 run the same paths; results are reported against the F32 reference
 * and held to bounds per type (random weights are the worst case for
 * quantization: no structure for the scales to follow).
 *
 * The bounds, from each type's rounding step relative to a 32-value block's
 * largest weight |w|max:
 *  - Q8_0 rounds to |w|max/127: half a step is 1/254 of |w|max.  Its floor,
 *    40 dB PSNR (RMS 2.6 grey levels), is the anchor (measured 52 dB on the
 *    random model, 45 dB on the demo).
 *  - F16 rounds each weight to 11 significant bits: at most 2^-11 of |w| <=
 *    |w|max, 2048/254 = 8.1 times finer than Q8_0.  While errors stay small
 *    the image error is linear in the weight error, so the floor rises by
 *    20 log10(8.1) = 18 dB: 58 dB (measured 68 and 70 dB).
 *  - Q4_0 rounds to |w|max/8, 16 times coarser than Q8_0: 40 - 24 = 16 dB
 *    by the same rule; 25 dB is kept as the tighter bound (measured 34, 29).
 *  - Caption tokens (the default, confident sampler against the reference's
 *    caption_confident.tokens): a token changes only where two log-scores lie within
 *    the forward error of each other.  F16's error (~1e-3) leaves all of
 *    them; Q8_0's (~3e-2) may move one choice, which under the confident
 *    sampler can also change which position is filled next: two tokens;
 *    Q4_0's (up to 0.35) must still give
 *    at least half the reference's tokens (chance is 1 in V per token). */
#include "check.h"
#include "context.h"
#include "test_runtime_util.h"

static golden_file G;
static const char *CKPT = GOLDEN_DIR;

typedef struct {
    mdm_type type;
    const char *name;
    double fwd_tol; /* relative error of velocity and log-scores */
    double min_psnr;
    int max_caption_diff; /* caption tokens that may differ from the reference's */
} quant_case;

static void run_case(const quant_case *q) {
    size_t size, nl, ns, n, nimg, ncap;
    uint8_t *file = golden_model_from(CKPT, q->type, &size);
    mdm_model *m = NULL;
    mdm_ctx *ctx = NULL;
    char err[256];
    CHECK(file && mdm_model_open_memory(file, size, NULL, &m, err, sizeof err) == MDM_OK &&
          mdm_ctx_create(m, NULL, NULL, 0, &ctx) == MDM_OK);
    float *lat = golden_f32(&G, "fwd.latents", &nl), *ti = golden_f32(&G, "fwd.t_image", &n);
    float *tt = golden_f32(&G, "fwd.t_text", &n), *v = golden_f32(&G, "fwd.v", &nl);
    float *s = golden_f32(&G, "fwd.s", &ns);
    int32_t *tok = golden_i32(&G, "fwd.tokens", &n), *task = golden_i32(&G, "fwd.task", &n);
    int32_t *seed = golden_i32(&G, "t2i.seed", &n), *cap = golden_i32(&G, "caption_confident.tokens", &ncap);
    uint8_t *want = golden_u8(&G, "t2i.image", &nimg), *cpx = golden_u8(&G, "caption.image", &n);
    const int have = lat && ti && tt && v && s && tok && task && seed && cap && want && cpx;
    CHECKF(have && ncap <= 64, "golden tensors missing or caption_confident.tokens too long");
    if (ctx && have && ncap <= 64) {
        float *gv = malloc(nl * sizeof *gv), *gs = malloc(ns * sizeof *gs);
        CHECK(mdm_denoise(ctx, 2, lat, tok, ti, tt, task, gv, gs) == MDM_OK);
        double ev = rel_err(gv, v, nl), es = rel_err(gs, s, ns);
        uint8_t *px = malloc(nimg);
        mdm_gen_params p = mdm_gen_params_init();
        p.steps = 8, p.text_steps = 8, p.guidance = 2.0f, p.seed = (uint64_t)seed[0];
        const char *prompt = golden_meta(&G, "prompt");
        CHECK(mdm_text_to_image(ctx, prompt, strlen(prompt), &p, px, nimg) == MDM_OK);
        double psnr = psnr_u8(px, want, nimg);
        int32_t got[64];
        int same = 0;
        CHECK(mdm_task_caption(ctx, cpx, &p, got) == MDM_OK);
        for (size_t i = 0; i < ncap; i++)
            same += got[i] == cap[i];
        printf("  %-5s fwd.v rel err %.2e, fwd.s %.2e, t2i PSNR %.1f dB, caption %d/%zu tokens\n",
               q->name, ev, es, psnr, same, ncap);
        CHECKF(ev <= q->fwd_tol && es <= q->fwd_tol, "forward error above %g", q->fwd_tol);
        CHECKF(psnr >= q->min_psnr, "PSNR below %.0f dB", q->min_psnr);
        CHECKF(ncap - (size_t)same <= (size_t)q->max_caption_diff,
               "%zu caption tokens differ, at most %d may", ncap - (size_t)same,
               q->max_caption_diff);
        free(gv), free(gs), free(px);
    }
    free(lat), free(ti), free(tt), free(v), free(s), free(tok), free(task), free(seed), free(cap);
    free(want), free(cpx);
    mdm_ctx_free(ctx);
    mdm_model_free(m);
    free(file);
}

static const quant_case CASES[] = {
    {MDM_TYPE_F16, "f16", 1e-2, 58.0, 0},
    {MDM_TYPE_Q8_0, "q8_0", 5e-2, 40.0, 2},
    {MDM_TYPE_Q4_0, "q4_0", 3.5e-1, 25.0, 8},
};

static void test_f16(void) { run_case(&CASES[0]); }
static void test_q8_0(void) { run_case(&CASES[1]); }
static void test_q4_0(void) { run_case(&CASES[2]); }
static void test_demo_f16(void) { run_case(&CASES[0]); }
static void test_demo_q8_0(void) { run_case(&CASES[1]); }
static void test_demo_q4_0(void) { run_case(&CASES[2]); }

int main(void) {
    if (golden_open(&G, GOLDEN_FILE) != 0) {
        printf("FAIL setup: golden vectors unusable\n");
        return 1;
    }
    RUN(test_f16);
    RUN(test_q8_0);
    RUN(test_q4_0);
    golden_close(&G);
    const char *demo = "tests/golden/demo/golden.safetensors";
    FILE *f = fopen("models/mdm-fmnist/model.safetensors", "rb");
    if (f)
        fclose(f);
    if (!f || golden_open(&G, demo) != 0) { /* both are committed */
        printf("FAIL test_demo_quant: models/mdm-fmnist/model.safetensors or %s missing\n", demo);
        return 1;
    }
    CKPT = "models/mdm-fmnist";
    printf("  demo model (%s):\n", CKPT);
    RUN(test_demo_f16);
    RUN(test_demo_q8_0);
    RUN(test_demo_q4_0);
    golden_close(&G);
    CHECK_EXIT();
}
