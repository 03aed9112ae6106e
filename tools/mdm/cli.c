/* The shared pieces of cli.h. */
#include "cli.h"
#include "image/image.h"
#include "port.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------- */

int cli_usage_error(const char *cmd, const char *usage, const char *why) {
    fprintf(stderr, "mdm %s: %s\n%s", cmd, why, usage);
    return EXIT_USAGE;
}

static const cli_opt *find_opt(const cli_opt *opts, int n, const char *a) {
    for (int i = 0; i < n; i++)
        if (strcmp(a, opts[i].name) == 0 || (opts[i].alias && strcmp(a, opts[i].alias) == 0))
            return &opts[i];
    return NULL;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, int n_opts, const char *cmd,
              const char *usage, const char **positional) {
    char why[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        const cli_opt *o = a[0] == '-' && a[1] ? find_opt(opts, n_opts, a) : NULL;
        if (o && o->flag) {
            *o->flag = 1;
        } else if (o) {
            if (i + 1 >= argc) {
                snprintf(why, sizeof why, "%s needs a value", a);
                return cli_usage_error(cmd, usage, why);
            }
            *o->value = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            snprintf(why, sizeof why, "unknown option %.100s", a);
            return cli_usage_error(cmd, usage, why);
        } else if (positional && !*positional) {
            *positional = a;
        } else {
            snprintf(why, sizeof why, "unexpected argument %.100s", a);
            return cli_usage_error(cmd, usage, why);
        }
    }
    return 0;
}

int cli_int(const char *cmd, const char *usage, const char *opt, const char *s, long lo, long hi,
            long *out) {
    if (!s)
        return 1;
    char *end, why[160];
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        snprintf(why, sizeof why, "%s must be an integer in %ld..%ld", opt, lo, hi);
        cli_usage_error(cmd, usage, why);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_u64(const char *cmd, const char *usage, const char *opt, const char *s, uint64_t *out) {
    if (!s)
        return 1;
    char *end, why[160];
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-') {
        snprintf(why, sizeof why, "%s must be a non-negative integer", opt);
        cli_usage_error(cmd, usage, why);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_float(const char *cmd, const char *usage, const char *opt, const char *s, double lo,
              double hi, float *out) {
    if (!s)
        return 1;
    char *end, why[160];
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= lo && v <= hi)) {
        snprintf(why, sizeof why, "%s must be a number in %g..%g", opt, lo, hi);
        cli_usage_error(cmd, usage, why);
        return 0;
    }
    *out = (float)v;
    return 1;
}

int cli_exit_code(mdm_status st) { return tool_exit_status(st); }

/* ---- model and context ------------------------------------------------- */

int cli_open_on(const char *cmd, const char *path, const char *device, cli_session *s) {
    mdm_ctx_params p = cli_ctx_params();
    p.device = device;
    return cli_open_with(cmd, path, &p, s);
}

int cli_open(const char *cmd, const char *path, cli_session *s) {
    return cli_open_with(cmd, path, NULL, s);
}

int cli_open_with(const char *cmd, const char *path, const mdm_ctx_params *p, cli_session *s) {
    char err[4096] = "", found[1400];
    const mdm_ctx_params from_options = cli_ctx_params();
    if (!p)
        p = &from_options;
    memset(s, 0, sizeof *s);
    if (!path && !(path = cli_default_model(cmd, found, sizeof found)))
        return EXIT_INPUT;
    mdm_status st = mdm_model_open_file(path, NULL, &s->model, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm %s: %s: %s\n", cmd, path, err[0] ? err : mdm_strerror(st));
        return cli_exit_code(st);
    }
    mdm_ctx_params cp = *p;
    cp.err = err, cp.err_len = sizeof err; /* the reason, not only the status */
    if ((st = mdm_ctx_create(s->model, &cp, NULL, 0, &s->ctx)) != MDM_OK) {
        fprintf(stderr, "mdm %s: %s: context (%d threads, kernel set %s): %s%s\n", cmd, path,
                cp.n_threads, cp.kernels ? cp.kernels : "auto", err[0] ? err : mdm_strerror(st),
                cp.device && strcmp(cp.device, "cpu") ? " (--device cpu runs on the CPU)" : "");
        mdm_model_free(s->model);
        s->model = NULL;
        return cli_exit_code(st);
    }
    mdm_model_get_info(s->model, &s->info);
    s->n_pixels = (size_t)s->info.image_size * s->info.image_size * s->info.image_channels;
    return 0;
}

void cli_close(cli_session *s) {
    mdm_ctx_free(s->ctx);
    mdm_model_free(s->model);
    memset(s, 0, sizeof *s);
}

/* ---- image files ------------------------------------------------------- */

int cli_read_image(const char *cmd, const char *path, const cli_session *s, uint8_t **pixels) {
    mdm_port_mapping file;
    errno = 0;
    mdm_status st = mdm_port_map_file(path, &file);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm %s: %s: cannot read: %s\n", cmd, path,
                errno ? strerror(errno) : "not a regular file");
        return EXIT_INPUT;
    }
    mdm_image img = {0}, prepared = {0};
    char err[256] = "";
    st = mdm_image_decode(file.data, file.size, NULL, &img, err, sizeof err);
    mdm_port_unmap_file(&file);
    if (st == MDM_OK)
        st = mdm_image_prepare(&img, s->info.image_size, s->info.image_size,
                               s->info.image_channels, MDM_FIT_PAD, &prepared);
    mdm_image_free(&img);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm %s: %s: %s\n", cmd, path, err[0] ? err : mdm_strerror(st));
        return cli_exit_code(st);
    }
    *pixels = prepared.pixels; /* exactly n_pixels bytes, owned by the caller now */
    return 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cli_write_image(const char *cmd, const char *path, const cli_session *s,
                    const uint8_t *pixels) {
    mdm_image img = {s->info.image_size, s->info.image_size, s->info.image_channels,
                     (uint8_t *)pixels};
    int pnm = ends_with(path, ".pgm") || ends_with(path, ".ppm") || ends_with(path, ".pnm");
    mdm_status (*enc)(const mdm_image *, uint8_t *, size_t, size_t *) =
        pnm ? mdm_image_encode_pnm : mdm_image_encode_png;
    size_t size = 0;
    enc(&img, NULL, 0, &size);
    uint8_t *buf = malloc(size ? size : 1);
    mdm_status st = buf ? enc(&img, buf, size, &size) : MDM_ERR_NO_MEMORY;
    FILE *f = st == MDM_OK ? fopen(path, "wb") : NULL;
    int ok = f && fwrite(buf, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    free(buf);
    if (!ok) {
        fprintf(stderr, "mdm %s: %s: cannot write: %s\n", cmd, path,
                st != MDM_OK ? mdm_strerror(st) : strerror(errno));
        return EXIT_INTERNAL;
    }
    return 0;
}

/* ---- progress, clocks, JSON ----------------------------------------------- */

int cli_progress(void *user, int step, int total) {
    static const int width = 30;
    if (!isatty(STDERR_FILENO) || total <= 0)
        return 0;
    int fill = (int)((long)width * step / total);
    fprintf(stderr, "\r%s [", user ? (const char *)user : "");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %d/%d", step, total);
    fflush(stderr);
    return 0;
}

void cli_progress_done(void) {
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
}

double cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void cli_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}
