/* The golden random model converted to F16, Q8_0 and Q4_0 runs the same
 * paths; results are reported against the F32 reference and held to loose
 * bounds (random weights are the worst case for quantization: no structure
 * for the scales to follow).  When the demo checkpoint and its golden
 * vectors exist, its conversions run too and their agreement is reported. */
#include "check.h"
#include "context.h"
#include "test_runtime_util.h"

static golden_file G;
static const char *CKPT = GOLDEN_DIR;
static int REPORT_ONLY; /* the demo: no bounds yet, only that it runs */

typedef struct {
    mdm_type type;
    const char *name;
    double fwd_tol; /* relative error of velocity and log-scores */
    double min_psnr;
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
    int32_t *seed = golden_i32(&G, "t2i.seed", &n), *cap = golden_i32(&G, "caption.tokens", &ncap);
    uint8_t *want = golden_u8(&G, "t2i.image", &nimg), *cpx = golden_u8(&G, "caption.image", &n);
    if (ctx && lat && ti && tt && v && s && tok && task && seed && cap && want && cpx) {
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
        CHECKF(REPORT_ONLY || (ev <= q->fwd_tol && es <= q->fwd_tol), "forward error above %g",
               q->fwd_tol);
        CHECKF(REPORT_ONLY || psnr >= q->min_psnr, "PSNR below %.0f dB", q->min_psnr);
        free(gv), free(gs), free(px);
    }
    free(lat), free(ti), free(tt), free(v), free(s), free(tok), free(task), free(seed), free(cap);
    free(want), free(cpx);
    mdm_ctx_free(ctx);
    mdm_model_free(m);
    free(file);
}

static const quant_case CASES[] = {
    {MDM_TYPE_F16, "f16", 1e-2, 30.0},
    {MDM_TYPE_Q8_0, "q8_0", 5e-2, 40.0},
    {MDM_TYPE_Q4_0, "q4_0", 3.5e-1, 25.0},
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
    if (!f || golden_open(&G, demo) != 0) {
        SKIP("test_demo_quant", "no demo checkpoint or golden vectors yet");
        CHECK_EXIT();
    }
    CKPT = "models/mdm-fmnist", REPORT_ONLY = 1;
    printf("  demo model (%s):\n", CKPT);
    RUN(test_demo_f16);
    RUN(test_demo_q8_0);
    RUN(test_demo_q4_0);
    golden_close(&G);
    CHECK_EXIT();
}
