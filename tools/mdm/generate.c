/* mdm generate: prompt -> image file(s). */
#include "cli.h"
#include "commands.h"
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mdm generate -p PROMPT -o OUT.png [options]\n"
    "\n"
    "  -m, --model MODEL     model file (default " CLI_DEFAULT_MODEL ")\n"
    "  -p, --prompt TEXT     what to draw, e.g. \"sneakers\" or \"a photo of a bag\"\n"
    "                        (lowercased, a final . or ! dropped: the demo model's words)\n"
    "  -o, --output FILE     PNG (or PGM/PPM by extension); with --count K > 1 the\n"
    "                        images go to FILE-0.png ... FILE-<K-1>.png\n"
    "  --seed S              seed of the first image (default 0); image k uses S + k\n"
    "  --steps N             sampler steps, 1..1000 (default 20)\n"
    "  --sampler euler|heun  image sampler (default euler)\n"
    "  --guidance G          classifier-free guidance scale, 1 = off (default 3)\n"
    "  --shift S             time grid shift, > 0 (default 1: uniform)\n"
    "  --count K             number of images, 1..1000 (default 1)\n"
    "  --json                print a JSON summary on stdout\n"
    "  --device D            cpu (default), opencl or opencl:N (see mdm devices)\n" CLI_EXEC_USAGE
    "\n"
    "exit status: 0 ok, 2 usage, 3 bad input (model, prompt), 4 internal or write error\n";

typedef struct {
    const char *model, *prompt, *out, *device;
    mdm_gen_params p;
    long count;
    int json;
} gen_args;

static int parse(int argc, char **argv, gen_args *a) {
    const char *seed = NULL, *steps = NULL, *sampler = NULL, *guidance = NULL, *shift = NULL,
               *count = NULL;
    const cli_opt opts[] = {
        {"--model", "-m", &a->model, NULL},      {"--prompt", "-p", &a->prompt, NULL},
        {"--output", "-o", &a->out, NULL},       {"--seed", NULL, &seed, NULL},
        {"--steps", NULL, &steps, NULL},         {"--sampler", NULL, &sampler, NULL},
        {"--guidance", NULL, &guidance, NULL},   {"--shift", NULL, &shift, NULL},
        {"--count", NULL, &count, NULL},         {"--json", NULL, NULL, &a->json},
        {"--device", NULL, &a->device, NULL},
    };
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], "generate", usage, NULL);
    if (rc)
        return rc;
    long n = a->p.steps;
    if (!cli_u64("generate", usage, "--seed", seed, &a->p.seed) ||
        !cli_int("generate", usage, "--steps", steps, 1, MDM_MAX_STEPS, &n) ||
        !cli_float("generate", usage, "--guidance", guidance, -100, 100, &a->p.guidance) ||
        !cli_float("generate", usage, "--shift", shift, 1e-3, 1e3, &a->p.shift) ||
        !cli_int("generate", usage, "--count", count, 1, 1000, &a->count))
        return EXIT_USAGE;
    a->p.steps = (int)n;
    if (sampler && strcmp(sampler, "euler") && strcmp(sampler, "heun"))
        return cli_usage_error("generate", usage, "--sampler must be euler or heun");
    a->p.sampler = sampler && !strcmp(sampler, "heun") ? MDM_SAMPLER_HEUN : MDM_SAMPLER_EULER;
    if (!a->prompt)
        return cli_usage_error("generate", usage, "-p PROMPT is required");
    if (!a->out)
        return cli_usage_error("generate", usage, "-o OUT is required");
    return 0;
}

/* OUT.png, or OUT-k.png when there are several. */
static int output_name(const gen_args *a, long k, char *buf, size_t len) {
    if (a->count == 1)
        return snprintf(buf, len, "%s", a->out) < (int)len;
    const char *dot = strrchr(a->out, '.'), *slash = strrchr(a->out, '/');
    if (!dot || (slash && dot < slash))
        dot = a->out + strlen(a->out);
    return snprintf(buf, len, "%.*s-%ld%s", (int)(dot - a->out), a->out, k, dot) < (int)len;
}

/* Generates image k into px and writes it; the JSON entry or the file name
 * goes to stdout. */
static int one_image(const gen_args *a, cli_session *s, long k, uint8_t *px) {
    char name[4096];
    mdm_gen_params p = a->p;
    p.seed = a->p.seed + (uint64_t)k;
    p.progress = cli_progress, p.user = "generate";
    if (!output_name(a, k, name, sizeof name))
        return cli_usage_error("generate", usage, "output name too long");
    double t0 = cli_now_ms();
    char *plain = cli_plain_text(a->prompt);
    mdm_status st = !plain ? MDM_ERR_NO_MEMORY
                           : mdm_text_to_image(s->ctx, plain, strlen(plain), &p, px, s->n_pixels);
    free(plain);
    double ms = cli_now_ms() - t0;
    cli_progress_done();
    if (st != MDM_OK) {
        fprintf(stderr, "mdm generate: %s\n",
                st == MDM_ERR_TEXT_TOO_LONG ? "the prompt does not fit the model's text positions"
                                            : mdm_strerror(st));
        return cli_exit_code(st);
    }
    int rc = cli_write_image("generate", name, s, px);
    if (rc == 0 && a->json) {
        printf("%s{\"file\": ", k ? ", " : "");
        cli_json_string(stdout, name);
        printf(", \"seed\": %llu, \"ms\": %.1f}", (unsigned long long)p.seed, ms);
    } else if (rc == 0) {
        printf("%s\n", name);
    }
    return rc;
}

static int run(const gen_args *a, cli_session *s) {
    uint8_t *px = malloc(s->n_pixels);
    if (!px)
        return EXIT_INTERNAL;
    if (a->json) {
        printf("{\"prompt\": ");
        cli_json_string(stdout, a->prompt);
        printf(", \"images\": [");
    }
    int rc = 0;
    for (long k = 0; k < a->count && rc == 0; k++)
        rc = one_image(a, s, k, px);
    if (a->json)
        printf("]}\n");
    free(px);
    return rc;
}

int cmd_generate(int argc, char **argv) {
    gen_args a = {.p = mdm_gen_params_init(), .count = 1};
    a.p.guidance = 3.0f; /* what the reference evaluates with */
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    cli_session s;
    mdm_ctx_params cp = cli_ctx_params();
    cp.device = a.device;
    if ((rc = cli_open_with("generate", a.model, &cp, &s)))
        return rc;
    rc = run(&a, &s);
    cli_close(&s);
    return rc;
}
