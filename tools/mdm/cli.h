/* Shared pieces of the mdm command: option parsing, exit codes, opening a
 * model and a context, image files in and out, the progress bar, clocks,
 * JSON strings.  The command uses the public API (mdm_rt.h) and src/image
 * for files; nothing else of the library. */
#ifndef MDM_CLI_H
#define MDM_CLI_H
#include "mdm_rt.h"
#include "tools/exit_status.h"
#include <stdint.h>
#include <stdio.h>

#define CLI_DEFAULT_MODEL "models/mdm-fmnist-q8_0.gguf"

/* the one rule of every tool: tools/exit_status.h */
enum { EXIT_OK = TOOL_EXIT_OK, EXIT_USAGE = TOOL_EXIT_USAGE, EXIT_INPUT = TOOL_EXIT_INPUT,
       EXIT_INTERNAL = TOOL_EXIT_INTERNAL };

/* One option: "--name" (and a short alias like "-m"); a value option
 * stores its string in *value, a flag sets *flag = 1. */
typedef struct {
    const char *name, *alias;
    const char **value;
    int *flag;
} cli_opt;

/* Parses argv[1..argc) of a subcommand.  --help/-h prints usage to stdout
 * and returns -1 (exit 0); an unknown option, a missing value or a second
 * positional returns EXIT_USAGE after saying why on stderr.  positional
 * (may be NULL: none accepted) gets the one non-option argument. */
int cli_parse(int argc, char **argv, const cli_opt *opts, int n_opts, const char *cmd,
              const char *usage, const char **positional);

/* Reports a usage error: "mdm CMD: why" and the usage, on stderr. */
int cli_usage_error(const char *cmd, const char *usage, const char *why);

/* Numeric option values; 0 (and a usage message) when s is not a number in
 * [lo, hi].  NULL s keeps *out. */
int cli_int(const char *cmd, const char *usage, const char *opt, const char *s, long lo, long hi,
            long *out);
int cli_u64(const char *cmd, const char *usage, const char *opt, const char *s, uint64_t *out);
int cli_float(const char *cmd, const char *usage, const char *opt, const char *s, double lo,
              double hi, float *out);

/* --threads N and --kernel NAME (exec_opts.c): every command takes them.
 * main.c removes them from argv (EXIT_USAGE for a bad value); contexts
 * opened with NULL params use them.  Threads default to all online cores. */
#define CLI_EXEC_USAGE                                                                   \
    "  --threads N           threads, 1..64 (default: every core); results do not\n"     \
    "                        depend on it (every command)\n"                             \
    "  --kernel NAME         kernel set: auto (default: the fastest here), scalar (the\n" \
    "                        reference kernels), avx2, avx512, neon (every command)\n"
int cli_take_exec_options(const char *cmd, int *argc, char **argv);
int cli_threads(void);
mdm_ctx_params cli_ctx_params(void);

/* Exit code for a status: bad input (3), or internal (4) for memory,
 * internal errors and failures to write. */
int cli_exit_code(mdm_status st);

/* Opens the model (default path when NULL) and a context; prints the
 * reason on failure and returns its exit code, else 0. */
typedef struct {
    mdm_model *model;
    mdm_ctx *ctx;
    mdm_model_info info;
    size_t n_pixels; /* H*W*C */
} cli_session;

int cli_open(const char *cmd, const char *path, cli_session *s);

/* The model to use when -m is not given (find_model.c): $MDM_MODEL, the
 * installed data folder, then the source tree.  Returns the path (env or
 * buf), or NULL after saying on stderr where it looked. */
const char *cli_default_model(const char *cmd, char *buf, size_t cap);
/* The same with context params (NULL: defaults): threads, kernel set. */
int cli_open_with(const char *cmd, const char *path, const mdm_ctx_params *p, cli_session *s);
/* cli_open on a device (NULL: the CPU): mdm_ctx_params.device. */
int cli_open_on(const char *cmd, const char *path, const char *device, cli_session *s);
void cli_close(cli_session *s);

/* Reads a PNG or PNM and converts it to the model's size and channels
 * (src/image: BT.601 gray, letterboxed on black).  *pixels is malloc'ed. */
int cli_read_image(const char *cmd, const char *path, const cli_session *s, uint8_t **pixels);
/* Writes H*W*C pixels as PNG (or PGM/PPM when the name ends in .pgm, .ppm, .pnm). */
int cli_write_image(const char *cmd, const char *path, const cli_session *s, const uint8_t *pixels);

/* A progress bar on stderr when it is a terminal (user: const char *label). */
int cli_progress(void *user, int step, int total);
void cli_progress_done(void);

double cli_now_ms(void);
/* Prints s as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);

/* A prompt or question as the demo model's lowercase vocabulary knows it
 * (ASCII lowercased, spaces and a final '.' or '!' trimmed); malloc'ed,
 * NULL when out of memory (plain_text.c). */
char *cli_plain_text(const char *in);

#endif
