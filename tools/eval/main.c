/* mdm-eval: quality of a model file on the Fashion-MNIST test split, with the
 * C runtime, computed as tools/reference/evaluate.py computes it, and the
 * agreement of other model files (e.g. q8_0, q4_0) with it.
 *
 *   caption accuracy   image i captioned with seed i (16 analytic text steps
 *                      by default); correct when evaluate.py's
 *                      class_of_caption names the label;
 *   VQA accuracy       image i, the question of tools/eval/vqa_items.tsv
 *                      (evaluate.py's vqa_items, numpy default_rng(123)),
 *                      seed i; correct when answer.strip() is the expected;
 *   agreement (--compare MODEL2, or --compare-device D: MODEL on device D):
 *                      the fraction of the first K images whose
 *                      captions are identical (and name the same class), and
 *                      the PSNR between same-seed text-to-image outputs for
 *                      "a photo of a <class>", seeds 0..S-1, class s*10/S
 *                      (evaluate.py's layout), 20 Euler steps, guidance 3.
 *
 * Uses the public API (mdm_rt.h) and src/image only.  One model may serve
 * several contexts on several threads: --threads N runs N contexts per model.
 * Results do not depend on the thread count (every item has its own seed). */
#include "fmnist.h"
#include "image/image.h"
#include "mdm_rt.h"
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Runtimes with several kernel sets (mdm_ctx_params.kernels, mdm_ctx_kernels)
 * define MDM_MAX_THREADS in mdm_rt.h too; --kernels needs them. */
#ifdef MDM_MAX_THREADS
#define MDM_HAVE_KERNEL_SETS 1
#endif

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_INPUT = 3, EXIT_INTERNAL = 4 };
enum { MAX_COMPARE = 4, MAX_THREADS = 256, N_EXAMPLES = 8 };

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define DEFAULT_MODEL "models/mdm-fmnist-q8_0.gguf"
#define DEFAULT_ITEMS "tools/eval/vqa_items.tsv"

static const char usage[] =
    "usage: mdm-eval [options]\n"
    "\n"
    "Caption and VQA accuracy of a model on the Fashion-MNIST test split, as\n"
    "tools/reference/evaluate.py measures them, and agreement with other model files.\n"
    "\n"
    "  -m, --model MODEL     model file (default " DEFAULT_MODEL ")\n"
    "  --compare MODEL2      also evaluate MODEL2 and its agreement with MODEL: identical\n"
    "                        captions over the first K images, PSNR of same-seed\n"
    "                        text-to-image outputs (repeatable, up to 4)\n"
    "  --device D            device of the contexts: cpu (default), opencl, opencl:N\n"
    "  --compare-device D    also evaluate MODEL on device D and its agreement with MODEL\n"
    "                        on --device (e.g. --compare-device opencl: OpenCL vs CPU)\n"
    "  -n N                  test images for caption and VQA accuracy (default 10000)\n"
    "  --first I             start at test image I (default 0; seeds stay the image index)\n"
    "  --agree-n K           images for caption agreement (default 1000)\n"
    "  --t2i-n S             text-to-image seeds 0..S-1 for the PSNR (default 100; 0: none)\n"
    "  --no-vqa              skip VQA\n"
    "  --input file|padded   test images as a user gives them (file: the 28x28 image, prepared\n"
    "                        as the CLI does; the default) or as data.py pads them (padded)\n"
    "  --text-sampler NAME   confident (default, the CLI's), analytic or euler\n"
    "  --threads N           contexts run in parallel per model (default: online CPUs)\n"
#ifdef MDM_HAVE_KERNEL_SETS
    "  --kernels NAME        kernel set of the contexts: auto (default), scalar, ...\n"
#endif
    "  --steps N             image steps (default 20, Euler)\n"
    "  --guidance G          text-to-image guidance (default 3, as evaluate.py)\n"
    "  --text-steps N        text steps (default 16, analytic sampler)\n"
    "  --data DIR            Fashion-MNIST idx .gz files (default " DEFAULT_DATA ")\n"
    "  --items FILE          VQA questions (default " DEFAULT_ITEMS ")\n"
    "  --dump FILE           per-image results as TSV: model, index, label, caption,\n"
    "                        its class, question, expected, answer, correct\n"
    "  --json                print the results as JSON on stdout\n"
    "  --classify TEXT       print evaluate.py's class_of_caption(TEXT) and exit\n"
    "  -h, --help            this text\n"
    "\n"
    "Progress goes to stderr when it is a terminal.\n"
    "exit status: 0 ok, 2 usage, 3 bad input (model, dataset, items), 4 internal error\n";

/* ---- configuration and results ------------------------------------------ */

typedef struct {
    const char *model, *compare[MAX_COMPARE], *data, *items, *dump;
    const char *kernels; /* NULL: the runtime's default */
    const char *device;  /* --device: NULL is the CPU */
    const char *compare_device[MAX_COMPARE]; /* per --compare entry; NULL: --device */
    int n_compare, first, n, agree_n, t2i_n, threads, no_vqa, json, steps, text_steps;
    int padded;                  /* --input padded: data.py's 32x32, not the 28x28 file */
    mdm_text_sampler text_sampler; /* --text-sampler (default: the library's, confident) */
    float guidance;
} options;

typedef struct {
    const char *path;
    mdm_model *model;
    mdm_model_info info;
    char type[8];
    const char *kernels; /* the contexts' kernel set */
    const char *device;  /* what the contexts run on (mdm_ctx_device) */
    mdm_ctx *ctx[MAX_THREADS];
    size_t cap;          /* text capacity of a result */
    char *captions;      /* n_cap * cap */
    signed char *cls;    /* class of each caption */
    char *answers;       /* n * cap */
    uint8_t *t2i;        /* t2i_n * npix */
    int caption_correct, vqa_correct, unparsed;
    int class_total[FMNIST_CLASSES], class_correct[FMNIST_CLASSES];
    double caption_s, vqa_s, t2i_s;
} model_run;

typedef struct {
    int n_captions, identical, same_class;
    int t2i_n, t2i_identical, max_abs_diff;
    double psnr_global, psnr_min, psnr_median, psnr_mean_finite;
} agreement;

typedef struct {
    const options *o;
    const fmnist_split *split;
    const vqa_items *items;
    const uint8_t *pixels; /* n_cap model-ready test images, first.. */
    size_t npix;
    int first, n_cap, progress; /* item i is test image first + i */
} eval_env;

typedef enum { JOB_CAPTION, JOB_VQA, JOB_T2I } job_kind;

typedef struct {
    job_kind kind;
    const eval_env *env;
    model_run *m;
    int n;
    const char *label;
    pthread_mutex_t mu;
    int next, done, failed_at;
    mdm_status st;
    double t_start, last_print;
} job;

typedef struct {
    job *j;
    int thread;
} worker_arg;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- one item of a job ------------------------------------------------- */

static mdm_status run_item(const job *j, mdm_ctx *ctx, int i) {
    const eval_env *e = j->env;
    const options *o = e->o;
    model_run *m = j->m;
    mdm_gen_params p = mdm_gen_params_init();
    p.seed = (uint64_t)(j->kind == JOB_T2I ? i : e->first + i); /* evaluate.py: seed = index */
    p.text_steps = o->text_steps;
    p.text_sampler = o->text_sampler;
    switch (j->kind) {
    case JOB_CAPTION:
        return mdm_caption(ctx, e->pixels + (size_t)i * e->npix, e->npix, &p,
                           m->captions + (size_t)i * m->cap, m->cap, NULL);
    case JOB_VQA: {
        const char *q = e->items->question[e->first + i];
        return mdm_vqa(ctx, e->pixels + (size_t)i * e->npix, e->npix, q, strlen(q), &p,
                       m->answers + (size_t)i * m->cap, m->cap, NULL);
    }
    case JOB_T2I: {
        char prompt[64];
        fmnist_prompt((int)((long)i * FMNIST_CLASSES / j->n), prompt, sizeof prompt);
        p.steps = o->steps;
        p.sampler = MDM_SAMPLER_EULER;
        p.guidance = o->guidance;
        return mdm_text_to_image(ctx, prompt, strlen(prompt), &p, m->t2i + (size_t)i * e->npix,
                                 e->npix);
    }
    }
    return MDM_ERR_INTERNAL;
}

static void *worker(void *arg) {
    const worker_arg *w = arg;
    job *j = w->j;
    mdm_ctx *ctx = j->m->ctx[w->thread];
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int i = j->st == MDM_OK && j->next < j->n ? j->next++ : -1;
        pthread_mutex_unlock(&j->mu);
        if (i < 0)
            break;
        mdm_status st = run_item(j, ctx, i);
        pthread_mutex_lock(&j->mu);
        if (st != MDM_OK && (j->st == MDM_OK || i < j->failed_at)) {
            j->st = st;
            j->failed_at = i;
        }
        j->done++;
        double t = now_s();
        if (j->env->progress && (t - j->last_print > 0.2 || j->done == j->n)) {
            double el = t - j->t_start;
            double eta = j->done ? el / j->done * (j->n - j->done) : 0;
            fprintf(stderr, "\r%s %s %d/%d  %.0f s, eta %.0f s   ", j->m->type, j->label, j->done,
                    j->n, el, eta);
            j->last_print = t;
        }
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

/* Runs items 0..n-1 on the model's contexts; the wall seconds in *secs. */
static mdm_status run_job(const eval_env *e, model_run *m, job_kind kind, int n, const char *label,
                          double *secs) {
    job j = {.kind = kind, .env = e, .m = m, .n = n, .label = label, .st = MDM_OK};
    worker_arg args[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int threads = e->o->threads < n ? e->o->threads : n, started = 0;
    if (n <= 0)
        return MDM_OK;
    if (pthread_mutex_init(&j.mu, NULL))
        return MDM_ERR_INTERNAL;
    j.t_start = now_s();
    for (int t = 0; t < threads; t++)
        args[t] = (worker_arg){&j, t};
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, worker, &args[t]))
            break;
        started = t;
    }
    worker(&args[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.mu);
    if (e->progress)
        fprintf(stderr, "\n");
    *secs = now_s() - j.t_start;
    if (j.st != MDM_OK)
        fprintf(stderr, "mdm-eval: %s: %s of item %d: %s\n", m->path, label, j.failed_at,
                mdm_strerror(j.st));
    return j.st;
}

/* ---- models ---------------------------------------------------------- */

/* The weights' quantisation: the most common type among matrices. */
static void model_type(const mdm_model *mm, char *buf, size_t cap) {
    size_t n = mdm_model_n_tensors(mm), count[4] = {0};
    const char *names[4] = {"f32", "f16", "q4_0", "q8_0"};
    for (size_t i = 0; i < n; i++) {
        mdm_tensor_info ti;
        if (mdm_model_tensor(mm, i, &ti) != MDM_OK || ti.n_dims < 2)
            continue;
        for (int k = 0; k < 4; k++)
            count[k] += strcmp(ti.type_name, names[k]) == 0;
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best] || (count[k] == count[best] && count[k] && best == 0))
            best = k;
    snprintf(buf, cap, "%s", names[best]);
}

static int open_model(const options *o, const char *path, const char *device, model_run *m) {
    char err[256] = "";
    m->path = path;
    mdm_status st = mdm_model_open_file(path, NULL, &m->model, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-eval: %s: %s\n", path, err[0] ? err : mdm_strerror(st));
        return st == MDM_ERR_NO_MEMORY ? EXIT_INTERNAL : EXIT_INPUT;
    }
    mdm_model_get_info(m->model, &m->info);
    model_type(m->model, m->type, sizeof m->type);
    mdm_ctx_params cp = mdm_ctx_params_init();
#ifdef MDM_HAVE_KERNEL_SETS
    cp.kernels = o->kernels;
#endif
    char cerr[4096] = "";
    cp.device = device, cp.err = cerr, cp.err_len = sizeof cerr;
    for (int t = 0; t < o->threads; t++) {
        st = mdm_ctx_create(m->model, &cp, NULL, 0, &m->ctx[t]);
        if (st != MDM_OK) {
            fprintf(stderr, "mdm-eval: %s: context%s%s: %s\n", path, device ? " on " : "",
                    device ? device : "", cerr[0] ? cerr : mdm_strerror(st));
            return st == MDM_ERR_NO_MEMORY ? EXIT_INTERNAL : EXIT_INPUT;
        }
    }
    m->device = mdm_ctx_device(m->ctx[0]);
    m->cap = mdm_ctx_text_cap(m->ctx[0]);
#ifdef MDM_HAVE_KERNEL_SETS
    m->kernels = mdm_ctx_kernels(m->ctx[0]);
#else
    m->kernels = "scalar";
#endif
    return EXIT_OK;
}

static void close_model(model_run *m) {
    for (int t = 0; t < MAX_THREADS; t++)
        mdm_ctx_free(m->ctx[t]);
    mdm_model_free(m->model);
    free(m->captions);
    free(m->cls);
    free(m->answers);
    free(m->t2i);
}

/* Everything one model computes; counts are filled in afterwards. */
static int evaluate_model(const eval_env *e, model_run *m, int with_t2i) {
    const options *o = e->o;
    m->captions = calloc((size_t)e->n_cap, m->cap);
    m->cls = calloc((size_t)e->n_cap, 1);
    m->answers = calloc((size_t)e->o->n, m->cap);
    m->t2i = with_t2i && o->t2i_n ? calloc((size_t)o->t2i_n, e->npix) : NULL;
    if (!m->captions || !m->cls || !m->answers || (with_t2i && o->t2i_n && !m->t2i)) {
        fprintf(stderr, "mdm-eval: out of memory\n");
        return EXIT_INTERNAL;
    }
    mdm_status st = run_job(e, m, JOB_CAPTION, e->n_cap, "caption", &m->caption_s);
    if (st == MDM_OK && !o->no_vqa)
        st = run_job(e, m, JOB_VQA, o->n, "vqa", &m->vqa_s);
    if (st == MDM_OK && with_t2i)
        st = run_job(e, m, JOB_T2I, o->t2i_n, "text-to-image", &m->t2i_s);
    if (st != MDM_OK)
        return st == MDM_ERR_NO_MEMORY || st == MDM_ERR_INTERNAL ? EXIT_INTERNAL : EXIT_INPUT;
    for (int i = 0; i < e->n_cap; i++) {
        int c = fmnist_class_of_caption(m->captions + (size_t)i * m->cap);
        m->cls[i] = (signed char)c;
        if (i >= o->n)
            continue;
        int y = e->split->labels[e->first + i];
        m->class_total[y]++;
        m->unparsed += c < 0;
        if (c == y)
            m->caption_correct++, m->class_correct[y]++;
    }
    if (!o->no_vqa)
        for (int i = 0; i < o->n; i++)
            m->vqa_correct +=
                fmnist_answer_matches(m->answers + (size_t)i * m->cap,
                                      e->items->answer[e->first + i]);
    return EXIT_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double psnr_of(double mse) {
    return mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
}

static void compare(const eval_env *e, const model_run *a, const model_run *b, agreement *g) {
    const options *o = e->o;
    memset(g, 0, sizeof *g);
    g->n_captions = o->agree_n;
    for (int i = 0; i < o->agree_n; i++) {
        g->identical += strcmp(a->captions + (size_t)i * a->cap, b->captions + (size_t)i * b->cap) == 0;
        g->same_class += a->cls[i] == b->cls[i];
    }
    g->t2i_n = a->t2i && b->t2i ? o->t2i_n : 0;
    if (!g->t2i_n)
        return;
    double *ps = malloc((size_t)g->t2i_n * sizeof *ps), total = 0, finite = 0;
    int n_finite = 0;
    g->psnr_min = INFINITY;
    for (int s = 0; s < g->t2i_n; s++) {
        const uint8_t *x = a->t2i + (size_t)s * e->npix, *y = b->t2i + (size_t)s * e->npix;
        double se = 0;
        for (size_t k = 0; k < e->npix; k++) {
            int d = (int)x[k] - (int)y[k];
            se += (double)d * d;
            if (abs(d) > g->max_abs_diff)
                g->max_abs_diff = abs(d);
        }
        total += se;
        double p = psnr_of(se / (double)e->npix);
        if (ps)
            ps[s] = p;
        g->t2i_identical += se == 0;
        if (p < g->psnr_min)
            g->psnr_min = p;
        if (isfinite(p))
            finite += p, n_finite++;
    }
    g->psnr_global = psnr_of(total / ((double)e->npix * g->t2i_n));
    g->psnr_mean_finite = n_finite ? finite / n_finite : INFINITY;
    if (ps) {
        qsort(ps, (size_t)g->t2i_n, sizeof *ps, cmp_double);
        g->psnr_median = g->t2i_n % 2 ? ps[g->t2i_n / 2]
                                      : 0.5 * (ps[g->t2i_n / 2 - 1] + ps[g->t2i_n / 2]);
        free(ps);
    } else {
        g->psnr_median = NAN;
    }
}

/* ---- output ------------------------------------------------------------ */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fprintf(f, "null"); /* inf: identical images */
}

static double ratio(int a, int b) { return b ? (double)a / b : 0.0; }

static void print_json(const eval_env *e, const model_run *ms, int n_models, const agreement *ag,
                       double wall) {
    const options *o = e->o;
    FILE *f = stdout;
    fprintf(f, "{\n \"dataset\": ");
    json_string(f, o->data);
    static const char *const samplers[] = {"analytic", "euler", "confident"};
    fprintf(f, ",\n \"first\": %d,\n \"n\": %d,\n \"text_steps\": %d,\n"
               " \"text_sampler\": \"%s\",\n \"input\": \"%s\",\n",
            e->first, o->n, o->text_steps, samplers[o->text_sampler],
            o->padded ? "padded" : "file");
    fprintf(f, " \"threads\": %d,\n \"models\": [", o->threads);
    for (int k = 0; k < n_models; k++) {
        const model_run *m = &ms[k];
        fprintf(f, "%s\n  {\"path\": ", k ? "," : "");
        json_string(f, m->path);
        fprintf(f, ", \"device\": ");
        json_string(f, m->device);
        fprintf(f, ", \"type\": \"%s\", \"kernels\": \"%s\",\n   \"caption_accuracy\": %.6f, \"caption_correct\": %d, "
                   "\"caption_unparsed\": %d, \"caption_s\": %.2f,\n   \"caption_per_class\": [",
                m->type, m->kernels, ratio(m->caption_correct, o->n), m->caption_correct,
                m->unparsed, m->caption_s);
        for (int c = 0; c < FMNIST_CLASSES; c++)
            fprintf(f, "%s%.4f", c ? ", " : "", ratio(m->class_correct[c], m->class_total[c]));
        fprintf(f, "],\n   \"caption_examples\": [");
        for (int i = 0; i < N_EXAMPLES && i < e->n_cap; i++) {
            fprintf(f, "%s", i ? ", " : "");
            json_string(f, m->captions + (size_t)i * m->cap);
        }
        fprintf(f, "]");
        if (!o->no_vqa) {
            fprintf(f, ",\n   \"vqa_accuracy\": %.6f, \"vqa_correct\": %d, \"vqa_s\": %.2f,\n"
                       "   \"vqa_examples\": [",
                    ratio(m->vqa_correct, o->n), m->vqa_correct, m->vqa_s);
            for (int i = 0; i < N_EXAMPLES && i < o->n; i++) {
                char ex[600];
                snprintf(ex, sizeof ex, "%s -> %s", e->items->question[e->first + i],
                         m->answers + (size_t)i * m->cap);
                fprintf(f, "%s", i ? ", " : "");
                json_string(f, ex);
            }
            fprintf(f, "]");
        }
        if (m->t2i)
            fprintf(f, ",\n   \"t2i_s\": %.2f", m->t2i_s);
        fprintf(f, "}");
    }
    fprintf(f, "\n ],\n \"agreement\": [");
    for (int k = 1; k < n_models; k++) {
        const agreement *g = &ag[k];
        fprintf(f, "%s\n  {\"model\": ", k > 1 ? "," : "");
        json_string(f, ms[k].path);
        fprintf(f, ", \"device\": ");
        json_string(f, ms[k].device);
        fprintf(f, ", \"against\": ");
        json_string(f, ms[0].path);
        fprintf(f, ", \"against_device\": ");
        json_string(f, ms[0].device);
        fprintf(f, ",\n   \"n_captions\": %d, \"caption_identical\": %.6f, "
                   "\"caption_same_class\": %.6f,\n   \"t2i_n\": %d",
                g->n_captions, ratio(g->identical, g->n_captions),
                ratio(g->same_class, g->n_captions), g->t2i_n);
        if (g->t2i_n) {
            fprintf(f, ", \"t2i_steps\": %d, \"t2i_guidance\": %g, \"t2i_identical\": %d, "
                       "\"max_abs_diff\": %d,\n   \"psnr_global\": ",
                    o->steps, o->guidance, g->t2i_identical, g->max_abs_diff);
            json_num(f, g->psnr_global);
            fprintf(f, ", \"psnr_min\": ");
            json_num(f, g->psnr_min);
            fprintf(f, ", \"psnr_median\": ");
            json_num(f, g->psnr_median);
            fprintf(f, ", \"psnr_mean_finite\": ");
            json_num(f, g->psnr_mean_finite);
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n ],\n \"wall_s\": %.2f\n}\n", wall);
}

static void print_text(const eval_env *e, const model_run *ms, int n_models, const agreement *ag,
                       double wall) {
    const options *o = e->o;
    for (int k = 0; k < n_models; k++) {
        const model_run *m = &ms[k];
        printf("model %s (%s, %s kernels, %s), test images %d..%d, %d text steps, %d threads\n",
               m->path, m->type, m->kernels, m->device, e->first, e->first + o->n - 1, o->text_steps,
               o->threads);
        printf("  caption_accuracy %.4f  (%d/%d, %d name no class or several; %.1f s, "
               "%.0f ms per caption per thread)\n",
               ratio(m->caption_correct, o->n), m->caption_correct, o->n, m->unparsed,
               m->caption_s, 1e3 * m->caption_s * o->threads / (e->n_cap ? e->n_cap : 1));
        printf("  caption_per_class");
        for (int c = 0; c < FMNIST_CLASSES; c++)
            printf(" %.3f", ratio(m->class_correct[c], m->class_total[c]));
        printf("\n");
        if (!o->no_vqa)
            printf("  vqa_accuracy %.4f  (%d/%d; %.1f s)\n", ratio(m->vqa_correct, o->n),
                   m->vqa_correct, o->n, m->vqa_s);
        printf("  caption examples:");
        for (int i = 0; i < 4 && i < e->n_cap; i++)
            printf(" \"%s\"", m->captions + (size_t)i * m->cap);
        printf("\n");
    }
    for (int k = 1; k < n_models; k++) {
        const agreement *g = &ag[k];
        printf("agreement %s (%s, %s) vs %s (%s, %s)\n", ms[k].path, ms[k].type, ms[k].device,
               ms[0].path, ms[0].type, ms[0].device);
        printf("  caption_identical %.4f  (%d/%d; same class %.4f)\n",
               ratio(g->identical, g->n_captions), g->identical, g->n_captions,
               ratio(g->same_class, g->n_captions));
        if (g->t2i_n)
            printf("  t2i_psnr_global %.2f dB  min %.2f  median %.2f  (%d seeds, %d identical, "
                   "max |diff| %d; %d Euler steps, guidance %g)\n",
                   g->psnr_global, g->psnr_min, g->psnr_median, g->t2i_n, g->t2i_identical,
                   g->max_abs_diff, o->steps, o->guidance);
    }
    printf("wall_s %.1f\n", wall);
}

static int write_dump(const eval_env *e, const model_run *ms, int n_models) {
    const options *o = e->o;
    FILE *f = fopen(o->dump, "w");
    if (!f) {
        fprintf(stderr, "mdm-eval: cannot write %s\n", o->dump);
        return EXIT_INTERNAL;
    }
    fprintf(f, "# model\tindex\tlabel\tcaption\tcaption_class\tquestion\texpected\tanswer\tcorrect\n");
    for (int k = 0; k < n_models; k++)
        for (int i = 0; i < e->n_cap; i++) {
            const model_run *m = &ms[k];
            int k2 = e->first + i;
            fprintf(f, "%s\t%d\t%d\t%s\t%d", m->type, k2, e->split->labels[k2],
                    m->captions + (size_t)i * m->cap, m->cls[i]);
            if (!o->no_vqa && i < o->n)
                fprintf(f, "\t%s\t%s\t%s\t%d\n", e->items->question[k2], e->items->answer[k2],
                        m->answers + (size_t)i * m->cap,
                        fmnist_answer_matches(m->answers + (size_t)i * m->cap,
                                              e->items->answer[k2]));
            else
                fprintf(f, "\t\t\t\t\n");
        }
    if (fclose(f)) {
        fprintf(stderr, "mdm-eval: cannot write %s\n", o->dump);
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* ---- options --------------------------------------------------------- */

static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mdm-eval: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n%s", usage);
    va_end(ap);
    return EXIT_USAGE;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi || s[0] == ' ' || s[0] == '+') {
        usage_error("%s wants an integer in %ld..%ld, not \"%s\"", opt, lo, hi, s);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* 0: parsed; -1: --help or --classify done (exit 0); else the exit code. */
static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.model = DEFAULT_MODEL, .data = DEFAULT_DATA, .items = DEFAULT_ITEMS,
                   .n = 10000, .agree_n = 1000, .t2i_n = 100, .threads = online_cpus(),
                   .steps = 20, .text_steps = 16, .guidance = 3.0f,
                   .text_sampler = mdm_gen_params_init().text_sampler};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return -1;
        }
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--no-vqa")) {
            o->no_vqa = 1;
            continue;
        }
        static const char *const with_value[] = {
            "-m", "--model", "--compare", "--device", "--compare-device", "-n", "--first", "--kernels", "--agree-n", "--t2i-n", "--threads", "--steps",
            "--guidance", "--text-steps", "--data", "--items", "--dump", "--classify",
            "--input", "--text-sampler"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known |= !strcmp(a, with_value[k]);
        if (!known)
            return usage_error("unknown option \"%s\"", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--compare")) {
            if (o->n_compare == MAX_COMPARE)
                return usage_error("at most %d --compare models", MAX_COMPARE);
            o->compare[o->n_compare++] = v;
        } else if (!strcmp(a, "--device")) {
            o->device = v;
        } else if (!strcmp(a, "--compare-device")) {
            if (o->n_compare == MAX_COMPARE)
                return usage_error("at most %d --compare models", MAX_COMPARE);
            o->compare_device[o->n_compare++] = v; /* the model given by -m, on v */
        } else if (!strcmp(a, "-n")) {
            if (!parse_int(a, v, 1, 1000000, &o->n))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--first")) {
            if (!parse_int(a, v, 0, 999999, &o->first))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--kernels")) {
#ifdef MDM_HAVE_KERNEL_SETS
            o->kernels = v;
#else
            return usage_error("--kernels: this runtime has one kernel set");
#endif
        } else if (!strcmp(a, "--agree-n")) {
            if (!parse_int(a, v, 1, 1000000, &o->agree_n))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--t2i-n")) {
            if (!parse_int(a, v, 0, 100000, &o->t2i_n))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--threads")) {
            if (!parse_int(a, v, 1, MAX_THREADS, &o->threads))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--steps")) {
            if (!parse_int(a, v, 1, MDM_MAX_STEPS, &o->steps))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--text-steps")) {
            if (!parse_int(a, v, 1, MDM_MAX_STEPS, &o->text_steps))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--guidance")) {
            char *end;
            double g = strtod(v, &end);
            if (!*v || *end || !(g >= 0 && g <= 100))
                return usage_error("--guidance wants a number in 0..100, not \"%s\"", v);
            o->guidance = (float)g;
        } else if (!strcmp(a, "--input")) {
            if (strcmp(v, "file") && strcmp(v, "padded"))
                return usage_error("--input wants file or padded, not \"%s\"", v);
            o->padded = !strcmp(v, "padded");
        } else if (!strcmp(a, "--text-sampler")) {
            if (!strcmp(v, "confident"))
                o->text_sampler = MDM_TEXT_CONFIDENT;
            else if (!strcmp(v, "analytic"))
                o->text_sampler = MDM_TEXT_ANALYTIC;
            else if (!strcmp(v, "euler"))
                o->text_sampler = MDM_TEXT_EULER;
            else
                return usage_error("--text-sampler wants confident, analytic or euler, not \"%s\"", v);
        } else if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--items"))
            o->items = v;
        else if (!strcmp(a, "--dump"))
            o->dump = v;
        else if (!strcmp(a, "--classify")) {
            printf("%d\n", fmnist_class_of_caption(v));
            return -1;
        }
    }
    return 0;
}

/* ---- main ------------------------------------------------------------- */

/* The test images as the model takes them.  By default as a user gives them:
 * the 28 x 28 image (what a PNG of it decodes to) prepared by src/image
 * exactly as the CLI does (mdm_image_prepare, MDM_FIT_PAD); with --input
 * padded, 32 x 32 padded with black (data.py), converted only when the
 * model's size or channels differ. */
static int prepare_pixels(const fmnist_split *s, int first, int n, const mdm_model_info *info,
                          int padded, uint8_t **out, size_t *npix) {
    *npix = (size_t)info->image_size * info->image_size * info->image_channels;
    uint8_t *px = malloc((size_t)n * *npix);
    if (!px)
        return EXIT_INTERNAL;
    for (int i = 0; i < n; i++) {
        mdm_image img = {0}, conv = {0};
        const int side = padded ? FMNIST_PADDED : FMNIST_SIDE;
        if (mdm_image_alloc(&img, side, side, 1) != MDM_OK) {
            free(px);
            return EXIT_INTERNAL;
        }
        if (padded)
            fmnist_padded(s, first + i, img.pixels);
        else
            memcpy(img.pixels, s->images + (size_t)(first + i) * FMNIST_SIDE * FMNIST_SIDE,
                   FMNIST_SIDE * FMNIST_SIDE);
        const mdm_image *use = &img;
        if (info->image_size != side || info->image_channels != 1) {
            mdm_status st = mdm_image_prepare(&img, info->image_size, info->image_size,
                                              info->image_channels, MDM_FIT_PAD, &conv);
            if (st != MDM_OK) {
                mdm_image_free(&img);
                free(px);
                fprintf(stderr, "mdm-eval: preparing images: %s\n", mdm_strerror(st));
                return EXIT_INTERNAL;
            }
            use = &conv;
        }
        memcpy(px + (size_t)i * *npix, use->pixels, *npix);
        mdm_image_free(&img);
        mdm_image_free(&conv);
    }
    *out = px;
    return EXIT_OK;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    double t0 = now_s();
    char err[512] = "";
    fmnist_split split;
    mdm_status st = fmnist_load(o.data, "t10k", &split, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-eval: %s\n", err[0] ? err : mdm_strerror(st));
        return st == MDM_ERR_NO_MEMORY ? EXIT_INTERNAL : EXIT_INPUT;
    }
    if (o.first >= split.n) {
        fprintf(stderr, "mdm-eval: --first %d: the split has %d images\n", o.first, split.n);
        fmnist_free(&split);
        return EXIT_USAGE;
    }
    if (o.n > split.n - o.first)
        o.n = split.n - o.first;
    if (o.agree_n > split.n - o.first)
        o.agree_n = split.n - o.first;
    vqa_items items = {0};
    if (!o.no_vqa) {
        st = vqa_items_load(o.items, &split, &items, err, sizeof err);
        if (st == MDM_OK && items.n < o.first + o.n) {
            snprintf(err, sizeof err, "%s: %d questions for %d images", o.items, items.n,
                     o.first + o.n);
            st = MDM_ERR_BAD_VALUE;
        }
        if (st != MDM_OK) {
            fprintf(stderr, "mdm-eval: %s\n", err[0] ? err : mdm_strerror(st));
            vqa_items_free(&items);
            fmnist_free(&split);
            return st == MDM_ERR_NO_MEMORY ? EXIT_INTERNAL : EXIT_INPUT;
        }
    }
    int n_models = 1 + o.n_compare;
    model_run *ms = calloc((size_t)n_models, sizeof *ms);
    agreement ag[1 + MAX_COMPARE];
    uint8_t *pixels = NULL;
    eval_env e = {.o = &o, .split = &split, .items = &items,
                  .progress = isatty(STDERR_FILENO), .first = o.first};
    e.n_cap = o.n_compare && o.agree_n > o.n ? o.agree_n : o.n;
    rc = ms ? EXIT_OK : EXIT_INTERNAL;
    for (int k = 0; k < n_models && rc == EXIT_OK; k++)
        rc = open_model(&o, k && o.compare[k - 1] ? o.compare[k - 1] : o.model,
                        k && o.compare_device[k - 1] ? o.compare_device[k - 1] : o.device, &ms[k]);
    for (int k = 1; k < n_models && rc == EXIT_OK; k++)
        if (ms[k].info.image_size != ms[0].info.image_size ||
            ms[k].info.image_channels != ms[0].info.image_channels) {
            fprintf(stderr, "mdm-eval: %s and %s take different images\n", ms[0].path, ms[k].path);
            rc = EXIT_INPUT;
        }
    if (rc == EXIT_OK)
        rc = prepare_pixels(&split, o.first, e.n_cap, &ms[0].info, o.padded, &pixels, &e.npix);
    e.pixels = pixels;
    for (int k = 0; k < n_models && rc == EXIT_OK; k++)
        rc = evaluate_model(&e, &ms[k], o.n_compare > 0);
    if (rc == EXIT_OK) {
        for (int k = 1; k < n_models; k++)
            compare(&e, &ms[0], &ms[k], &ag[k]);
        double wall = now_s() - t0;
        if (o.json)
            print_json(&e, ms, n_models, ag, wall);
        else
            print_text(&e, ms, n_models, ag, wall);
        if (o.dump)
            rc = write_dump(&e, ms, n_models);
    }
    for (int k = 0; ms && k < n_models; k++)
        close_model(&ms[k]);
    free(ms);
    free(pixels);
    vqa_items_free(&items);
    fmnist_free(&split);
    return rc;
}
