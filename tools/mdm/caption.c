/* mdm caption and mdm vqa: image (+ question) -> text on stdout. */
#include "cli.h"
#include "commands.h"
#include <stdlib.h>
#include <string.h>

#define COMMON_OPTIONS                                                                       \
    "  -m, --model MODEL       model file (default " CLI_DEFAULT_MODEL ")\n"                \
    "  -i, --image FILE        PNG or PNM; other sizes and channel counts are converted\n"  \
    "                          (letterboxed on black, colour to gray by BT.601)\n"          \
    "  --seed S                seed (default 0)\n"                                         \
    "  --steps N               text steps, 1..1000 (default 16)\n"                         \
    "  --sampler confident|analytic|euler\n"                                               \
    "                          text sampler (default confident: deterministic, the model's\n" \
    "                          best text; analytic/euler: the spec's SEDD steps, by seed)\n" \
    "  --json                  print {\"text\": ...} as JSON\n"                            \
    "  --device D              cpu (default), opencl or opencl:N (see mdm devices)\n"     \
    CLI_EXEC_USAGE                                                                          \
    "\n"                                                                                    \
    "exit status: 0 ok, 2 usage, 3 bad input (model, image, question), 4 internal error\n"

static const char caption_usage[] = "usage: mdm caption -i IMAGE [options]\n\n" COMMON_OPTIONS;
static const char vqa_usage[] =
    "usage: mdm vqa -i IMAGE -q QUESTION [options]\n\n"
    "  -q, --question TEXT     e.g. \"is this footwear?\" (lowercased as a prompt is)\n" COMMON_OPTIONS;

typedef struct {
    const char *cmd, *usage, *model, *image, *question, *device;
    int vqa; /* takes -q */
    mdm_gen_params p;
    int json;
} text_args;

static int parse(int argc, char **argv, text_args *a) {
    const char *seed = NULL, *steps = NULL, *sampler = NULL;
    const cli_opt opts[] = {
        {"--model", "-m", &a->model, NULL}, {"--image", "-i", &a->image, NULL},
        {"--seed", NULL, &seed, NULL},      {"--steps", NULL, &steps, NULL},
        {"--sampler", NULL, &sampler, NULL}, {"--json", NULL, NULL, &a->json},
        {"--device", NULL, &a->device, NULL},
        {"--question", "-q", &a->question, NULL},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]) - (a->vqa ? 0 : 1);
    int rc = cli_parse(argc, argv, opts, n_opts, a->cmd, a->usage, NULL);
    if (rc)
        return rc;
    long n = a->p.text_steps;
    if (!cli_u64(a->cmd, a->usage, "--seed", seed, &a->p.seed) ||
        !cli_int(a->cmd, a->usage, "--steps", steps, 1, MDM_MAX_STEPS, &n))
        return EXIT_USAGE;
    a->p.text_steps = (int)n;
    if (sampler && strcmp(sampler, "confident") && strcmp(sampler, "analytic") &&
        strcmp(sampler, "euler"))
        return cli_usage_error(a->cmd, a->usage, "--sampler must be confident, analytic or euler");
    if (sampler)
        a->p.text_sampler = !strcmp(sampler, "euler")      ? MDM_TEXT_EULER
                            : !strcmp(sampler, "analytic") ? MDM_TEXT_ANALYTIC
                                                           : MDM_TEXT_CONFIDENT;
    if (!a->image)
        return cli_usage_error(a->cmd, a->usage, "-i IMAGE is required");
    if (a->vqa && !a->question)
        return cli_usage_error(a->cmd, a->usage, "-q QUESTION is required");
    return 0;
}

static int run(const text_args *a, cli_session *s) {
    uint8_t *px = NULL;
    int rc = cli_read_image(a->cmd, a->image, s, &px);
    if (rc)
        return rc;
    size_t cap = mdm_ctx_text_cap(s->ctx), len;
    char *text = malloc(cap);
    mdm_gen_params p = a->p;
    p.progress = cli_progress, p.user = (void *)a->cmd;
    char *question = a->vqa ? cli_plain_text(a->question) : NULL;
    mdm_status st = !text || (a->vqa && !question) ? MDM_ERR_NO_MEMORY
                    : a->vqa
                        ? mdm_vqa(s->ctx, px, s->n_pixels, question, strlen(question), &p, text,
                                  cap, &len)
                        : mdm_caption(s->ctx, px, s->n_pixels, &p, text, cap, &len);
    free(question);
    cli_progress_done();
    if (st == MDM_OK && a->json) {
        printf("{\"text\": ");
        cli_json_string(stdout, text);
        printf("}\n");
    } else if (st == MDM_OK) {
        printf("%s\n", text);
    } else {
        fprintf(stderr, "mdm %s: %s\n", a->cmd, st == MDM_ERR_TEXT_TOO_LONG
                                                   ? "the question leaves no room for an answer"
                                                   : mdm_strerror(st));
        rc = cli_exit_code(st);
    }
    free(text);
    free(px);
    return rc;
}

static int text_command(int argc, char **argv, text_args *a) {
    int rc = parse(argc, argv, a);
    if (rc)
        return rc < 0 ? 0 : rc;
    cli_session s;
    mdm_ctx_params cp = cli_ctx_params();
    cp.device = a->device;
    if ((rc = cli_open_with(a->cmd, a->model, &cp, &s)))
        return rc;
    rc = run(a, &s);
    cli_close(&s);
    return rc;
}

int cmd_caption(int argc, char **argv) {
    text_args a = {.cmd = "caption", .usage = caption_usage, .p = mdm_gen_params_init()};
    return text_command(argc, argv, &a);
}

int cmd_vqa(int argc, char **argv) {
    text_args a = {.cmd = "vqa", .usage = vqa_usage, .p = mdm_gen_params_init(), .vqa = 1};
    return text_command(argc, argv, &a);
}
