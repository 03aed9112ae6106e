/* mdm: the command-line face of mdm-rt.  Subcommands parse their own
 * options (--help on each); everything else goes through the public API.
 * Exit codes: 0 ok, 2 usage, 3 bad input, 4 internal error. */
#include "cli.h"
#include "commands.h"
#include "tools/convert/info.h"
#include <string.h>

static const char usage[] =
    "usage: mdm <command> [options]\n"
    "\n"
    "  generate  text -> image:   mdm generate -p \"a photo of a sneaker\" -o out.png\n"
    "  caption   image -> text:   mdm caption -i image.png\n"
    "  vqa       image + question -> answer:  mdm vqa -i image.png -q \"is this footwear?\"\n"
    "  info      a model file's header:  mdm info MODEL [--json]\n"
    "  bench     timings on a model:     mdm bench [-m MODEL] [--json]\n"
    "  devices   the OpenCL devices --device opencl:N can name\n"
    "\n"
    "-m MODEL defaults to $MDM_MODEL, else the installed <prefix>/share/mdm/" CLI_DEFAULT_MODEL ",\n"
    "else the source tree's " CLI_DEFAULT_MODEL ". Every command takes --threads N (default:\n"
    "every core) and --kernel NAME. 'mdm <command> --help' lists the options.\n"
    "exit status: 0 ok, 2 usage, 3 bad input, 4 internal error\n";

static const char info_usage[] =
    "usage: mdm info MODEL [--json] [--no-crc]\n"
    "\n"
    "  MODEL     model file (or -m MODEL; default " CLI_DEFAULT_MODEL ")\n"
    "  --json    JSON instead of text\n"
    "  --no-crc  skip the CRC check of the tensor data\n"
    "  --threads N, --kernel NAME  accepted (every command takes them); unused here\n"
    "\n"
    "exit status: 0 ok, 2 usage, 3 bad model, 4 internal error\n";

int cmd_info(int argc, char **argv) {
    const char *model = NULL, *positional = NULL;
    int json = 0, no_crc = 0;
    const cli_opt opts[] = {{"--model", "-m", &model, NULL},
                            {"--json", NULL, NULL, &json},
                            {"--no-crc", NULL, NULL, &no_crc}};
    int rc = cli_parse(argc, argv, opts, 3, "info", info_usage, &positional);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (model && positional)
        return cli_usage_error("info", info_usage, "give the model once");
    char found[1400];
    const char *path = model ? model : positional ? positional
                                                  : cli_default_model("info", found, sizeof found);
    if (!path)
        return EXIT_INPUT;
    mdm_model_params p = mdm_model_params_init();
    p.verify_crc = !no_crc;
    mdm_model *m;
    char err[512];
    mdm_status st = mdm_model_open_file(path, &p, &m, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm info: %s: %s\n", path, err[0] ? err : mdm_strerror(st));
        return cli_exit_code(st);
    }
    mdm_print_info(stdout, m, json);
    mdm_model_free(m);
    return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"generate", cmd_generate}, {"caption", cmd_caption}, {"vqa", cmd_vqa},
                    {"info", cmd_info},         {"bench", cmd_bench},
                    {"devices", cmd_devices}};
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            int sub_argc = argc - 1, rc = cli_take_exec_options(argv[1], &sub_argc, argv + 1);
            return rc ? rc : commands[i].run(sub_argc, argv + 1);
        }
    fprintf(stderr, "mdm: unknown command %s\n%s", argv[1], usage);
    return EXIT_USAGE;
}
