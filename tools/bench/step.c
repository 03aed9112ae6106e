/* mdm-bench-step: one denoiser step (batch 1) and one VAE decode of a model
 * through the public API, with a chosen kernel set and thread count:
 *   mdm-bench-step MODEL [--kernel NAME] [--threads N] [--runs N] [--device D]
 * prints wall and process-CPU milliseconds of each (medians of runs, after
 * one warm-up when runs > 1) and the best wall times.  On a shared machine
 * the CPU time of a 1-thread run is the robust number; the best wall time
 * of several runs shows thread scaling.  Unlike mdm bench it skips the
 * end-to-end tasks, so the scalar set of a large model takes minutes. */
#include "bench.h"
#include "mdm_rt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: mdm-bench-step MODEL [--kernel NAME] [--threads N] [--runs N] [--device D]\n");
        return 2;
    }
    mdm_ctx_params p = mdm_ctx_params_init();
    int runs = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--kernel") == 0)
            p.kernels = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            p.n_threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--device") == 0)
            p.device = argv[i + 1];
    }
    if (runs < 1 || runs > 100)
        runs = 3;
    mdm_model *m;
    mdm_ctx *c;
    char err[256];
    mdm_status st = mdm_model_open_file(argv[1], NULL, &m, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-bench-step: %s: %s\n", argv[1], err);
        return 3;
    }
    if ((st = mdm_ctx_create(m, &p, NULL, 0, &c)) != MDM_OK) {
        fprintf(stderr, "mdm-bench-step: context: %s\n", mdm_strerror(st));
        return 3;
    }
    mdm_model_info in;
    mdm_model_get_info(m, &in);
    const size_t side = (size_t)(in.image_size / in.vae_factor);
    const size_t nl = (size_t)in.latent_channels * side * side;
    const size_t np = (size_t)in.image_size * in.image_size * in.image_channels;
    float *lat = calloc(nl, sizeof *lat), *v = calloc(nl, sizeof *v);
    int32_t *tok = calloc((size_t)in.text_len, sizeof *tok);
    uint8_t *px = malloc(np);
    for (size_t i = 0; i < nl; i++)
        lat[i] = (float)((i * 7919) % 200) / 100.0f - 1.0f;
    float ti = 0.5f, tt = 0.5f;
    int32_t task = MDM_TASK_T2I;
    double ms[2][100], cpu[2][100];
    /* one warm-up run unless a single run is asked for (the scalar set) */
    for (int r = runs > 1 ? -1 : 0; r < runs && st == MDM_OK; r++) {
        double t0 = bench_now(), c0 = bench_cpu();
        st = mdm_denoise(c, 1, lat, tok, &ti, &tt, &task, v, NULL);
        double t1 = bench_now(), c1 = bench_cpu();
        if (st == MDM_OK)
            st = mdm_decode_latent(c, lat, px, np);
        double t2 = bench_now(), c2 = bench_cpu();
        if (r >= 0) {
            ms[0][r] = (t1 - t0) * 1e3, ms[1][r] = (t2 - t1) * 1e3;
            cpu[0][r] = (c1 - c0) * 1e3, cpu[1][r] = (c2 - c1) * 1e3;
        }
    }
    if (st == MDM_OK) {
        for (int k = 0; k < 2; k++) {
            qsort(ms[k], (size_t)runs, sizeof(double), cmp);
            qsort(cpu[k], (size_t)runs, sizeof(double), cmp);
        }
        printf("device %s\n", mdm_ctx_device(c));
        printf("kernel %s threads %d step_ms %.3f decode_ms %.3f step_cpu_ms %.3f "
               "decode_cpu_ms %.3f step_best_ms %.3f decode_best_ms %.3f\n",
               mdm_ctx_kernels(c), p.n_threads, ms[0][runs / 2], ms[1][runs / 2],
               cpu[0][runs / 2], cpu[1][runs / 2], ms[0][0], ms[1][0]);
    } else {
        fprintf(stderr, "mdm-bench-step: %s\n", mdm_strerror(st));
    }
    free(lat), free(v), free(tok), free(px);
    mdm_ctx_free(c);
    mdm_model_free(m);
    return st == MDM_OK ? 0 : 4;
}
