/* mdm-ctx-size [--max-text-bytes N] MODEL...: how much memory a context takes, per model: the
 * whole context (mdm_ctx_size) with the scalar kernel set (the smallest
 * workspace, what a microcontroller runs) and with the fastest set here,
 * the persistent part, and the scratch each task actually used (one step of
 * text-to-image with guidance, caption, VQA and joint, each in a fresh
 * context), plus the model's own tables (mdm_model_params.alloc). */
#include "mdm_rt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t used;
} counter;

static void *count_alloc(void *user, size_t n) {
    ((counter *)user)->used += (n + 15) / 16 * 16;
    return malloc(n);
}
static void count_free(void *user, void *p) {
    (void)user;
    free(p);
}

/* Scratch peak of one task in a fresh context (auto kernels: the scratch
 * does not depend on the set). */
static mdm_ctx_params params(const char *kernels, size_t max_text) {
    mdm_ctx_params p = mdm_ctx_params_init();
    p.kernels = kernels;
    if (max_text)
        p.max_text_bytes = max_text;
    return p;
}

static size_t task_peak(const mdm_model *m, int task, size_t max_text) {
    mdm_ctx *c;
    mdm_ctx_params p = params(NULL, max_text);
    if (mdm_ctx_create(m, &p, NULL, 0, &c) != MDM_OK)
        return 0;
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    size_t n = (size_t)info.image_size * info.image_size * info.image_channels;
    uint8_t *px = calloc(n, 1);
    char *text = malloc(mdm_ctx_text_cap(c));
    mdm_gen_params g = mdm_gen_params_init();
    g.steps = 1, g.text_steps = 1, g.guidance = 3.0f;
    mdm_status st = MDM_ERR_INVALID_ARG;
    if (px && text) {
        size_t cap = mdm_ctx_text_cap(c);
        switch (task) {
        case 0: st = mdm_text_to_image(c, "bag", 3, &g, px, n); break;
        case 1: st = mdm_caption(c, px, n, &g, text, cap, NULL); break;
        case 2: st = mdm_vqa(c, px, n, "bag", 3, &g, text, cap, NULL); break;
        default: st = mdm_joint(c, &g, px, n, text, cap, NULL); break;
        }
    }
    size_t peak = 0;
    mdm_ctx_memory(c, NULL, NULL, &peak);
    free(px);
    free(text);
    mdm_ctx_free(c);
    return st == MDM_OK ? peak : 0;
}

int main(int argc, char **argv) {
    size_t max_text = 0; /* 0: the default */
    if (argc > 2 && strcmp(argv[1], "--max-text-bytes") == 0) {
        max_text = (size_t)strtoul(argv[2], NULL, 10);
        argv += 2, argc -= 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: mdm-ctx-size [--max-text-bytes N] MODEL.gguf...\n");
        return 2;
    }
    printf("| model | tables | context, scalar | context, %s | persistent (scalar) | "
           "t2i | caption | vqa | joint |\n|---|---|---|---|---|---|---|---|---|\n",
           "auto");
    for (int i = 1; i < argc; i++) {
        counter cnt = {0};
        mdm_model_params mp = mdm_model_params_init();
        mp.alloc = count_alloc, mp.free = count_free, mp.alloc_user = &cnt;
        mdm_model *m;
        char err[256];
        if (mdm_model_open_file(argv[i], &mp, &m, err, sizeof err) != MDM_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            return 3;
        }
        mdm_ctx_params sp = params("scalar", max_text), fp = params(NULL, max_text);
        size_t scalar = mdm_ctx_size(m, &sp), fast = mdm_ctx_size(m, &fp), scratch = 0;
        mdm_ctx *c;
        const char *set = "?";
        if (mdm_ctx_create(m, &fp, NULL, 0, &c) == MDM_OK) {
            mdm_ctx_memory(c, NULL, &scratch, NULL);
            set = mdm_ctx_kernels(c);
            mdm_ctx_free(c);
        }
        const char *name = strrchr(argv[i], '/');
        printf("| %s | %zu | %zu | %zu (%s) | %zu |", name ? name + 1 : argv[i], cnt.used,
               scalar, fast, set, scalar - scratch);
        for (int t = 0; t < 4; t++)
            printf(" %zu |", task_peak(m, t, max_text));
        printf("\n");
        mdm_model_free(m);
    }
    return 0;
}
