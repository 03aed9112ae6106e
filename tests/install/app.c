/* A program built against an installed mdm-rt (tests/suites/install.sh):
 * app MODEL PROMPT draws the prompt (seed 0, guidance 3, as `mdm generate`
 * does by default) and prints the caption of that image. */
#include <mdm_rt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: app MODEL PROMPT\n");
        return 2;
    }
    if (mdm_version() != MDM_VERSION_NUMBER) {
        fprintf(stderr, "header %s, library %s\n", MDM_VERSION_STRING, mdm_version_string());
        return 1;
    }
    char err[256];
    mdm_model *m;
    mdm_status st = mdm_model_open_file(argv[1], NULL, &m, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    mdm_ctx_params cp = mdm_ctx_params_init();
    cp.n_threads = 2;
    mdm_ctx *c;
    if ((st = mdm_ctx_create(m, &cp, NULL, 0, &c)) != MDM_OK) {
        fprintf(stderr, "context: %s\n", mdm_strerror(st));
        return 1;
    }
    size_t n = (size_t)info.image_size * info.image_size * info.image_channels;
    uint8_t *px = malloc(n);
    char *text = malloc(mdm_ctx_text_cap(c));
    mdm_gen_params g = mdm_gen_params_init();
    g.guidance = 3.0f;
    st = mdm_text_to_image(c, argv[2], strlen(argv[2]), &g, px, n);
    if (st == MDM_OK)
        st = mdm_caption(c, px, n, NULL, text, mdm_ctx_text_cap(c), NULL);
    if (st == MDM_OK)
        printf("%s\n", text);
    else
        fprintf(stderr, "task: %s\n", mdm_strerror(st));
    free(px);
    free(text);
    mdm_ctx_free(c);
    mdm_model_free(m);
    return st == MDM_OK ? 0 : 1;
}
