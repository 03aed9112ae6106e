/* mdm bench: timings of one model, measured in-process: median wall time
 * of runs, the best run, and the process CPU time (all threads) of the
 * median run.  On a shared machine the CPU time of a 1-thread run is the
 * robust number; the best wall time of several runs shows thread scaling.
 * The project's one step benchmark (--step-only for large models on the
 * scalar set, where the end-to-end tasks take minutes). */
#include "cli.h"
#include "commands.h"
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char usage[] =
    "usage: mdm bench [options]\n"
    "\n"
    "  -m, --model MODEL  model file (default " CLI_DEFAULT_MODEL ")\n"
    "  --runs N           runs per measurement, median reported, 1..1000 (default 5)\n"
    "  --step-only        only the denoiser steps and the VAE (no end-to-end tasks)\n"
    "  --device D         cpu (default), opencl or opencl:N (see mdm devices)\n"
    "  --json             JSON on stdout\n" CLI_EXEC_USAGE
    "\n"
    "Measures one denoiser step (batch 1, and batch 2 as classifier-free guidance\n"
    "runs it), one VAE decode and encode, text-to-image end to end (20 Euler steps,\n"
    "guidance 3) and a caption end to end (16 analytic steps); reports the context's\n"
    "bytes and the process's peak resident set.  Per measure: the median wall time,\n"
    "the best run's, and the median process CPU time (all threads); one warm-up run\n"
    "first unless --runs 1.\n"
    "\n"
    "exit status: 0 ok, 2 usage, 3 bad model, 4 internal error\n";

enum { M_STEP1, M_STEP2, M_DECODE, M_ENCODE, M_T2I, M_CAPTION, N_MEASURES };

static const char *const names[N_MEASURES] = {"denoiser_step_ms", "denoiser_step_cfg_ms",
                                              "vae_decode_ms",    "vae_encode_ms",
                                              "text_to_image_ms", "caption_ms"};

typedef struct {
    cli_session *s;
    float *lat, *v; /* [2][c*h*w] */
    int32_t *tok;   /* [2][Lt] */
    uint8_t *px;
    char *text;
} bench_bufs;

/* One run of measure k; MDM_OK or what failed. */
static mdm_status run_once(bench_bufs *b, int k) {
    mdm_ctx *c = b->s->ctx;
    size_t np = b->s->n_pixels;
    float ti[2] = {0.5f, 0.5f}, tt[2] = {0.0f, 1.0f};
    int32_t task[2] = {MDM_TASK_T2I, MDM_TASK_T2I};
    mdm_gen_params p = mdm_gen_params_init();
    p.guidance = 3.0f;
    switch (k) {
    case M_STEP1: return mdm_denoise(c, 1, b->lat, b->tok, ti, tt, task, b->v, NULL);
    case M_STEP2: return mdm_denoise(c, 2, b->lat, b->tok, ti, tt, task, b->v, NULL);
    case M_DECODE: return mdm_decode_latent(c, b->lat, b->px, np);
    case M_ENCODE: return mdm_encode_image(c, b->px, np, b->lat);
    case M_T2I: return mdm_text_to_image(c, "a photo of a sneaker", 20, &p, b->px, np);
    default: return mdm_caption(c, b->px, np, &p, b->text, mdm_ctx_text_cap(c), NULL);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU milliseconds of the whole process (all its threads). */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static double median(double *t, long n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

typedef struct {
    double ms, best_ms, cpu_ms; /* median wall, best wall, median CPU */
} timing;

/* Each of the first n_measures measures, runs times after one warm-up
 * run (none when runs is 1: a large model on the scalar set). */
static mdm_status measure(bench_bufs *b, long runs, int n_measures, timing *out) {
    double *t = malloc((size_t)runs * sizeof *t), *c = malloc((size_t)runs * sizeof *c);
    mdm_status st = t && c ? MDM_OK : MDM_ERR_NO_MEMORY;
    for (int k = 0; k < n_measures && st == MDM_OK; k++) {
        if (runs > 1)
            st = run_once(b, k);
        for (long r = 0; r < runs && st == MDM_OK; r++) {
            double t0 = cli_now_ms(), c0 = cpu_ms();
            st = run_once(b, k);
            t[r] = cli_now_ms() - t0, c[r] = cpu_ms() - c0;
        }
        out[k].ms = median(t, runs);
        out[k].best_ms = t[0];
        out[k].cpu_ms = median(c, runs);
    }
    free(t), free(c);
    return st;
}

static void report(const char *model, const cli_session *s, const mdm_ctx_params *cp, long runs,
                   const timing *tm, int n_measures, int json) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double rss = (double)ru.ru_maxrss * 1024.0; /* Linux reports kilobytes */
    const size_t ctx_bytes = mdm_ctx_size(s->model, cp);
    if (json) {
        printf("{\"model\": ");
        cli_json_string(stdout, model);
        printf(", \"kernel\": \"%s\", \"threads\": %d", mdm_ctx_kernels(s->ctx), cp->n_threads);
        printf(", \"device\": ");
        cli_json_string(stdout, mdm_ctx_device(s->ctx));
        printf(", \"runs\": %ld, \"context_bytes\": %zu, \"peak_rss_bytes\": %.0f", runs, ctx_bytes,
               rss);
        for (int k = 0; k < n_measures; k++) {
            const int n = (int)strlen(names[k]) - 3; /* without "_ms" */
            printf(", \"%s\": %.3f, \"%.*s_best_ms\": %.3f, \"%.*s_cpu_ms\": %.3f", names[k],
                   tm[k].ms, n, names[k], tm[k].best_ms, n, names[k], tm[k].cpu_ms);
        }
        printf("}\n");
        return;
    }
    double ms[N_MEASURES] = {0};
    for (int k = 0; k < n_measures; k++)
        ms[k] = tm[k].ms;
    printf("model           %s\n", model);
    printf("device          %s\n", mdm_ctx_device(s->ctx));
    printf("kernels         %s, %d thread%s\n", mdm_ctx_kernels(s->ctx), cp->n_threads,
           cp->n_threads == 1 ? "" : "s");
    printf("denoiser step   %.3f ms (batch 1), %.3f ms (batch 2, as with guidance)\n", ms[M_STEP1],
           ms[M_STEP2]);
    printf("vae decode      %.3f ms\nvae encode      %.3f ms\n", ms[M_DECODE], ms[M_ENCODE]);
    if (n_measures > M_T2I) {
        printf("text-to-image   %.1f ms per image (20 Euler steps, guidance 3, decode)\n",
               ms[M_T2I]);
        printf("caption         %.1f ms per caption (encode, 16 analytic steps + final)\n",
               ms[M_CAPTION]);
    }
    for (int k = 0; k < n_measures; k++)
        printf("%-22s best %.3f ms, CPU %.3f ms (median run, all threads)\n", names[k],
               tm[k].best_ms, tm[k].cpu_ms);
    printf("context         %zu bytes\npeak RSS        %.1f MiB\n", ctx_bytes, rss / 1048576.0);
    printf("(median of %ld runs%s)\n", runs, runs > 1 ? " after one warm-up" : "");
}

int cmd_bench(int argc, char **argv) {
    const char *model = NULL, *runs_s = NULL, *device = NULL;
    int json = 0, step_only = 0;
    long runs = 5;
    const cli_opt opts[] = {{"--model", "-m", &model, NULL},
                            {"--runs", NULL, &runs_s, NULL},
                            {"--json", NULL, NULL, &json},
                            {"--step-only", NULL, NULL, &step_only},
                            {"--device", NULL, &device, NULL}};
    int rc = cli_parse(argc, argv, opts, 5, "bench", usage, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!cli_int("bench", usage, "--runs", runs_s, 1, 1000, &runs))
        return EXIT_USAGE;
    mdm_ctx_params cp = cli_ctx_params();
    cp.device = device;
    cli_session s;
    if ((rc = cli_open_with("bench", model, &cp, &s)))
        return rc;
    const size_t nl = (size_t)s.info.latent_channels * (s.info.image_size / s.info.vae_factor) *
                      (s.info.image_size / s.info.vae_factor);
    bench_bufs b = {&s, calloc(2 * nl, sizeof(float)), calloc(2 * nl, sizeof(float)),
                    calloc(2 * (size_t)s.info.text_len, sizeof(int32_t)), calloc(s.n_pixels, 1),
                    malloc(mdm_ctx_text_cap(s.ctx))};
    timing tm[N_MEASURES];
    const int n_measures = step_only ? M_T2I : N_MEASURES;
    mdm_status st = b.lat && b.v && b.tok && b.px && b.text ? measure(&b, runs, n_measures, tm)
                                                            : MDM_ERR_NO_MEMORY;
    if (st == MDM_OK)
        report(model ? model : CLI_DEFAULT_MODEL, &s, &cp, runs, tm, n_measures, json);
    else
        fprintf(stderr, "mdm bench: %s\n", mdm_strerror(st));
    free(b.lat), free(b.v), free(b.tok), free(b.px), free(b.text);
    cli_close(&s);
    return cli_exit_code(st);
}
