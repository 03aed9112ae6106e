/* mdm-bench-step: the laptop targets of one model in ONE process, runs
 * alternated so that a busy or drifting machine slows every configuration
 * alike: each round measures the int8 dot peak (1 and 2 threads) and then
 * one denoiser step (batch 1) on each context in turn:
 *   avx512 on 1 thread and on 2, avx2 and avx2-vnni on 1 (those this CPU
 *   runs), and, with --long MODEL, avx512 on 1 thread on a second model
 *   (the same preset at a larger image size).
 * The matmul floor is 2 x the step's Mamba matmul multiply-adds (in_proj,
 * x_proj, dt_proj, out_proj; embeddings and heads left out) at the best
 * peak seen.  Reported: per configuration the median and best wall and
 * median CPU milliseconds, then the ratios against the targets.  Next to
 * the avx2 and avx2-vnni ratios, the ratio of the matmul floors (avx512
 * int8 peak / that set's int8 peak, 1 thread, measured each round too):
 * the step ratio if both sets ran their matmuls at peak and everything
 * else were free.  And the issue bound (issue_bound below): what the
 * avx512 step's op counts alone take on this kind of CPU, as a multiple of
 * the same floor. */
#include "bench.h"
#include "mdm_rt.h"
#include "tools/exit_status.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_1T, C_2T, C_AVX2, C_VNNI, C_LONG, N_CONF };
static const char *const conf_name[N_CONF] = {"avx512, 1 thread", "avx512, 2 threads",
                                              "avx2, 1 thread", "avx2-vnni, 1 thread",
                                              "avx512, 1 thread, --long"};
static const char *const conf_kernels[N_CONF] = {"avx512", "avx512", "avx2", "avx2-vnni",
                                                 "avx512"};
static const int conf_threads[N_CONF] = {1, 2, 1, 1, 1};

typedef struct {
    mdm_ctx *ctx;
    float *lat, *v;
    int32_t *tok;
    double *wall, *cpu; /* per round, ms */
} conf;

static const char usage[] =
    "usage: mdm-bench-step MODEL [--long MODEL] [--rounds N]\n"
    "  alternates one denoiser step (batch 1) on avx512 (1 and 2 threads), avx2 and\n"
    "  avx2-vnni (1 thread), and avx512 on the --long model, N rounds (default 9,\n"
    "  1..1000), each round after a measure of the int8 dot peak; prints medians and\n"
    "  the ratios of the laptop targets (README, issue 12).\n";

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *t, int n, double *best) {
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return 0;
    memcpy(s, t, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    const double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    if (best)
        *best = s[0];
    free(s);
    return m;
}

/* The Mamba matmuls' multiply-adds of one step of batch 1. */
static double step_macs(const mdm_model_info *in) {
    const double d = in->d_model, di = (double)in->expand * in->d_model, T = in->seq_len;
    const double N = in->d_state, R = in->dt_rank;
    return (double)in->n_layer * T * (d * 2 * di + di * (R + 2 * N) + R * di + di * d);
}

/* The least a step can take on the AVX-512 set, counted in issues of the
 * two pipes that FMAs, multiplies and vpdpbusd share on the CPUs measured
 * (mdm-bench-pipes says whether this one is such; the rest issue beside
 * them), as a multiple of the matmul floor (one vpdpbusd per 64
 * multiply-adds).  Per op, as the kernels compute it:
 *  - int8 matmuls (all but dt_proj): 8 vpdpbusd, a multiply and an FMA per
 *    32-value block of a weight row and 16 tokens (a scale per 32 weights
 *    and per 32 activations);
 *  - the scan: 9 per 16 state updates (dt A, five FMAs for 2^f, dt x B,
 *    the state, the output);
 *  - dt_proj: one FMA per 16 multiply-adds; softplus 17 per 16 values
 *    (e^x 8, log1p 9); conv1d one FMA per tap and 16 values; SiLU 10.2 per
 *    16 (e^x 8, a divide 2.2), twice (conv1d's and the gate's) with the
 *    gate's multiply.
 * RMSNorm, quantization, packing, memory and threads are left out. */
static double issue_bound(const mdm_model_info *in) {
    const double di = (double)in->expand * in->d_model, T = in->seq_len;
    const double N = in->d_state, R = in->dt_rank, L = in->n_layer, K = in->d_conv;
    const double int8_macs = step_macs(in) - L * T * R * di; /* all but dt_proj */
    const double issues = int8_macs / 64 * 10 / 8 + L * T * di * N / 16 * 9 +
                          L * T * di * R / 16 + L * T * di / 16 * (17 + K + 2 * 10.2 + 1);
    return issues / (step_macs(in) / 64);
}

static int open_conf(conf *c, const mdm_model *m, int k, int rounds) {
    mdm_ctx_params p = mdm_ctx_params_init();
    p.kernels = conf_kernels[k];
    p.n_threads = conf_threads[k];
    if (mdm_ctx_create(m, &p, NULL, 0, &c->ctx) != MDM_OK)
        return 0; /* not run by this CPU or not in this build */
    mdm_model_info in;
    mdm_model_get_info(m, &in);
    const int ls = in.image_size / in.vae_factor;
    const size_t nl = (size_t)in.latent_channels * ls * ls;
    c->lat = malloc(nl * sizeof *c->lat);
    c->v = malloc(nl * sizeof *c->v);
    c->tok = calloc((size_t)in.text_len, sizeof *c->tok);
    c->wall = calloc((size_t)rounds, sizeof *c->wall);
    c->cpu = calloc((size_t)rounds, sizeof *c->cpu);
    if (!c->lat || !c->v || !c->tok || !c->wall || !c->cpu)
        return 0;
    for (size_t i = 0; i < nl; i++) /* a fixed, non-trivial latent */
        c->lat[i] = (float)((i * 7919u) % 1000u) / 500.0f - 1.0f;
    return 1;
}

static mdm_status step(conf *c, int r) {
    const float ti = 0.5f, tt = 0.0f;
    const int32_t task = MDM_TASK_T2I;
    const double t0 = bench_now(), c0 = bench_cpu();
    mdm_status st = mdm_denoise(c->ctx, 1, c->lat, c->tok, &ti, &tt, &task, c->v, NULL);
    if (r >= 0)
        c->wall[r] = 1e3 * (bench_now() - t0), c->cpu[r] = 1e3 * (bench_cpu() - c0);
    return st;
}

int main(int argc, char **argv) {
    const char *path = NULL, *long_path = NULL;
    int rounds = 9;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--long") && i + 1 < argc) {
            long_path = argv[++i];
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 1000) {
                fprintf(stderr, "mdm-bench-step: --rounds %s: need 1..1000\n", argv[i]);
                return TOOL_EXIT_USAGE;
            }
            rounds = (int)n;
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            fprintf(stderr, "mdm-bench-step: unexpected '%s'\n%s", argv[i], usage);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!path) {
        fputs(usage, stderr);
        return TOOL_EXIT_USAGE;
    }
    char err[512];
    mdm_model *m = NULL, *ml = NULL;
    mdm_status st = mdm_model_open_file(path, NULL, &m, err, sizeof err);
    if (st == MDM_OK && long_path)
        st = mdm_model_open_file(long_path, NULL, &ml, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-bench-step: %s\n", err);
        return tool_exit_status(st);
    }
    conf cs[N_CONF];
    int have[N_CONF];
    memset(cs, 0, sizeof cs);
    for (int k = 0; k < N_CONF; k++) {
        const mdm_model *mk = k == C_LONG ? ml : m;
        have[k] = mk && open_conf(&cs[k], mk, k, rounds);
        if (have[k] && step(&cs[k], -1) != MDM_OK) { /* the warm-up run */
            fprintf(stderr, "mdm-bench-step: a step on %s failed\n", conf_name[k]);
            return TOOL_EXIT_INTERNAL;
        }
    }
    if (!have[C_1T]) {
        fprintf(stderr, "mdm-bench-step: no avx512 context here (this CPU or build lacks it)\n");
        return TOOL_EXIT_INTERNAL;
    }
    double dot1 = 0, dot2 = 0, vnni1 = 0, madd1 = 0;
    for (int r = 0; r < rounds; r++) {
        double f, d;
        if (bench_peaks(1, &f, &d, 20) && d > dot1)
            dot1 = d;
        if (bench_peaks(2, &f, &d, 20) && d > dot2)
            dot2 = d;
        if ((have[C_AVX2] || have[C_VNNI]) && bench_peaks_avx2(1, &f, &d, 20)) {
            vnni1 = f > vnni1 ? f : vnni1;
            madd1 = d > madd1 ? d : madd1;
        }
        for (int k = 0; k < N_CONF; k++)
            if (have[k] && step(&cs[k], r) != MDM_OK) {
                fprintf(stderr, "mdm-bench-step: a step on %s failed\n", conf_name[k]);
                return TOOL_EXIT_INTERNAL;
            }
    }
    mdm_model_info in;
    mdm_model_get_info(m, &in);
    double wall[N_CONF], best[N_CONF], cpu[N_CONF];
    printf("%s: %d tokens; %d rounds, the configurations alternated\n", path, in.seq_len, rounds);
    printf("%-26s %10s %10s %10s\n", "step (batch 1)", "wall ms", "best ms", "CPU ms");
    for (int k = 0; k < N_CONF; k++) {
        if (!have[k])
            continue;
        wall[k] = median(cs[k].wall, rounds, &best[k]);
        cpu[k] = median(cs[k].cpu, rounds, NULL);
        printf("%-26s %10.1f %10.1f %10.1f\n", conf_name[k], wall[k], best[k], cpu[k]);
    }
    const double macs = step_macs(&in);
    const double f1 = dot1 > 0 ? 2 * macs / (dot1 * 1e6) : 0, f2 = dot2 > 0 ? 2 * macs / (dot2 * 1e6) : 0;
    printf("int8 dot peak %.1f GOP/s (1 thread), %.1f (2); matmul multiply-adds %.2f G: "
           "floor %.1f ms (1 thread), %.1f ms (2)\n", dot1, dot2, macs / 1e9, f1, f2);
    printf("issue bound of the avx512 step (op counts, mdm-bench-pipes): %.2fx the floor\n",
           issue_bound(&in));
    if (f1 > 0)
        printf("1 thread: %.2fx the floor by CPU (target <= 1.5)\n", cpu[C_1T] / f1);
    if (have[C_2T] && f2 > 0) {
        printf("2 threads: %.2fx the floor by wall (target <= 1.7)\n", wall[C_2T] / f2);
        printf("2 threads vs 1: %.2fx by wall (target >= 1.8)\n", wall[C_1T] / wall[C_2T]);
    }
    if (have[C_AVX2])
        printf("avx2 vs avx512: %.2fx by CPU (target <= 1.6)\n", cpu[C_AVX2] / cpu[C_1T]);
    if (have[C_AVX2] && madd1 > 0 && dot1 > 0)
        printf("avx2 vs avx512 matmul floors: %.2fx (int8 peak %.1f GOP/s, vpmaddubsw + "
               "vpmaddwd, 1 thread)\n", dot1 / madd1, madd1);
    if (have[C_VNNI])
        printf("avx2-vnni vs avx512: %.2fx by CPU (target <= 1.6)\n", cpu[C_VNNI] / cpu[C_1T]);
    if (have[C_VNNI] && vnni1 > 0 && dot1 > 0)
        printf("avx2-vnni vs avx512 matmul floors: %.2fx (int8 peak %.1f GOP/s, 256-bit "
               "vpdpbusd, 1 thread)\n", dot1 / vnni1, vnni1);
    if (have[C_LONG]) {
        mdm_model_info il;
        mdm_model_get_info(ml, &il);
        printf("%d vs %d tokens: %.2fx by CPU (target <= 14; tokens %.2fx)\n", il.seq_len,
               in.seq_len, cpu[C_LONG] / cpu[C_1T], (double)il.seq_len / in.seq_len);
    }
    for (int k = 0; k < N_CONF; k++) {
        mdm_ctx_free(cs[k].ctx);
        free(cs[k].lat), free(cs[k].v), free(cs[k].tok), free(cs[k].wall), free(cs[k].cpu);
    }
    mdm_model_free(m);
    mdm_model_free(ml);
    return 0;
}
