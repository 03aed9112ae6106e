/* mdm-bench-memory: where a context's bytes go, for each model given:
 *   mdm-bench-memory MODEL... [--threads N]
 * persistent (context, tokenizer, denoiser constants, per-thread kernel
 * workspaces) and scratch (the task state plus the largest of a denoiser
 * forward, a VAE call and a tokenization: only one of them is alive at a
 * time), from the same carve functions the context is sized with; then
 * the scratch each task really reached (mdm_ctx_memory's peak) after a
 * text-to-image with guidance (batch 2) and a caption of one step. */
#include "context.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double mib(size_t b) { return (double)b / 1048576.0; }

static size_t carved(void (*fn)(mdm_arena *, const void *, void *), const void *in, void *out) {
    mdm_arena a;
    mdm_arena_init(&a, NULL, 0);
    fn(&a, in, out);
    return a.failed ? 0 : a.hi;
}

static void den(mdm_arena *a, const void *m, void *w) {
    mdm_den_work_carve(a, &((const mdm_model *)m)->hp, w);
}
static void vae(mdm_arena *a, const void *m, void *w) { mdm_vae_call_carve(a, m, w); }
static void state(mdm_arena *a, const void *m, void *w) {
    mdm_task_state_carve(a, &((const mdm_model *)m)->hp, w);
}

static int report(const char *path, int threads) {
    mdm_model *m;
    char err[256];
    if (mdm_model_open_file(path, NULL, &m, err, sizeof err) != MDM_OK) {
        fprintf(stderr, "mdm-bench-memory: %s: %s\n", path, err);
        return 3;
    }
    mdm_ctx_params p = mdm_ctx_params_init();
    p.n_threads = threads;
    mdm_den_work dw;
    mdm_vae_call vc;
    mdm_task_state ts;
    const size_t d = carved(den, m, &dw), v = carved(vae, m, &vc), s = carved(state, m, &ts);
    mdm_ctx *c;
    mdm_status st = mdm_ctx_create(m, &p, NULL, 0, &c);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-bench-memory: context: %s\n", mdm_strerror(st));
        mdm_model_free(m);
        return 3;
    }
    size_t total, scratch, peak;
    mdm_ctx_memory(c, &total, &scratch, NULL);
    mdm_model_info in;
    mdm_model_get_info(m, &in);
    const size_t ws = c->ex.ws_stride * (size_t)threads;
    printf("%s: %dx%d, %d tokens, %d thread%s\n", path, in.image_size, in.image_size, in.seq_len,
           threads, threads == 1 ? "" : "s");
    printf("  context            %9.2f MiB\n", mib(total));
    printf("  persistent         %9.2f MiB (kernel workspaces %.2f)\n", mib(total - scratch),
           mib(ws));
    printf("  scratch            %9.2f MiB = task state %.2f + max of:\n", mib(scratch), mib(s));
    printf("    denoiser forward %9.2f MiB (one sequence; batch 2 runs them in turn)\n", mib(d));
    printf("    VAE call         %9.2f MiB\n", mib(v));
    /* what each task reaches */
    const size_t np = (size_t)in.image_size * in.image_size * in.image_channels;
    uint8_t *px = calloc(np, 1);
    char *text = malloc(mdm_ctx_text_cap(c));
    mdm_gen_params g = mdm_gen_params_init();
    g.steps = 1, g.text_steps = 1, g.guidance = 3.0f;
    if (px && text && (st = mdm_text_to_image(c, "a bag", 5, &g, px, np)) == MDM_OK) {
        mdm_ctx_memory(c, NULL, NULL, &peak);
        printf("  text-to-image peak %9.2f MiB (guidance 3: batch 2)\n", mib(peak));
    }
    mdm_ctx_free(c);
    if (mdm_ctx_create(m, &p, NULL, 0, &c) == MDM_OK) {
        if (px && text && (st = mdm_caption(c, px, np, &g, text, mdm_ctx_text_cap(c), NULL)) ==
                              MDM_OK) {
            mdm_ctx_memory(c, NULL, NULL, &peak);
            printf("  caption peak       %9.2f MiB\n", mib(peak));
        }
        mdm_ctx_free(c);
    }
    free(px), free(text);
    mdm_model_free(m);
    return st == MDM_OK ? 0 : 4;
}

static const char usage[] =
    "usage: mdm-bench-memory MODEL... [--threads N]\n"
    "  a context's bytes by part (persistent, task state, denoiser forward, VAE call)\n"
    "  and each task's measured scratch peak, for every MODEL\n";

int main(int argc, char **argv) {
    int threads = 1, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && strcmp(argv[i], "--threads") != 0) {
            fprintf(stderr, "mdm-bench-memory: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
        if (strcmp(argv[i], "--threads") == 0) {
            if (i + 1 >= argc) {
                fputs(usage, stderr);
                return 2;
            }
            threads = atoi(argv[++i]);
        }
    }
    if (threads < 1 || threads > MDM_MAX_THREADS || argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0) {
            i++;
            continue;
        }
        int r = report(argv[i], threads);
        rc = rc ? rc : r;
    }
    return rc;
}
