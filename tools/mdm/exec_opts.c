/* --threads N and --kernel NAME, options of every mdm command: main.c takes
 * them out of argv before the command parses the rest, and every context the
 * command opens runs with them.  Threads default to every online core. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    long threads;       /* 0: every online core */
    const char *kernel; /* NULL: the fastest set this CPU runs */
} opts;

int cli_take_exec_options(const char *cmd, int *argc, char **argv) {
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        int is_threads = strcmp(a, "--threads") == 0, is_kernel = strcmp(a, "--kernel") == 0;
        if (!is_threads && !is_kernel) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "mdm %s: %s needs a value\n", cmd, a);
            return EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (is_kernel) {
            opts.kernel = v;
            continue;
        }
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > MDM_MAX_THREADS) {
            fprintf(stderr, "mdm %s: --threads must be an integer in 1..%d\n", cmd,
                    MDM_MAX_THREADS);
            return EXIT_USAGE;
        }
        opts.threads = n;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int cli_threads(void) {
    if (opts.threads)
        return (int)opts.threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MDM_MAX_THREADS ? MDM_MAX_THREADS : (int)n;
}

mdm_ctx_params cli_ctx_params(void) {
    mdm_ctx_params p = mdm_ctx_params_init();
    p.n_threads = cli_threads();
    p.kernels = opts.kernel;
    return p;
}
