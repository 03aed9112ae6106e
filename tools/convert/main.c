/* mdm-convert: reference checkpoint or random preset -> GGUF model file;
 * --info prints a model file's header.  Exit codes (tools/exit_status.h):
 * 0 ok, 2 usage, 3 bad input (a missing file too), 4 internal error or the
 * output cannot be written. */
#include "convert.h"
#include "info.h"
#include "model/errmsg.h"
#include "tools/exit_status.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mdm-convert --checkpoint DIR -o OUT.gguf [--type f32|f16|q8_0|q4_0]\n"
    "       mdm-convert --random tiny|S|paper [--seed N] -o OUT.gguf [--type ...]\n"
    "       mdm-convert --info MODEL.gguf [--json] [--no-crc]\n"
    "\n"
    "  --checkpoint DIR  read DIR/config.json, DIR/vocab.tsv, DIR/model.safetensors\n"
    "  --random PRESET   random-initialised model of a spec preset (seeded PCG32)\n"
    "  --seed N          seed for --random (default 1)\n"
    "  --image-size N    image side for --random (default: the preset's; S: 256)\n"
    "  --type T          weight type of the quantizable tensors (default f32); norms,\n"
    "                    biases, embeddings, SSM parameters stay f32 (docs/FORMAT.md)\n"
    "  -o OUT.gguf       output model file\n"
    "  --info MODEL      print architecture, dimensions, tensor table, sizes, CRC\n"
    "  --json            with --info: JSON instead of text\n"
    "  --no-crc          with --info: skip the CRC check of the tensor data\n"
    "\n"
    "exit status: 0 ok, 2 usage, 3 bad input (missing too), 4 internal or write error\n";

enum { EXIT_USAGE = TOOL_EXIT_USAGE, EXIT_IO = TOOL_EXIT_INTERNAL };

/* Reading the checkpoint or model; writing fails with EXIT_IO instead. */
static int exit_code(mdm_status st) {
    if (st == MDM_ERR_INVALID_ARG) /* an unknown preset */
        return EXIT_USAGE;
    return tool_exit_status(st);
}

static int bad_usage(const char *why) {
    fprintf(stderr, "mdm-convert: %s\n%s", why, usage);
    return EXIT_USAGE;
}

static int parse_type(const char *s, mdm_type *t) {
    static const struct { const char *name; mdm_type t; } types[] = {
        {"f32", MDM_TYPE_F32}, {"f16", MDM_TYPE_F16}, {"q8_0", MDM_TYPE_Q8_0},
        {"q4_0", MDM_TYPE_Q4_0}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(s, types[i].name) == 0) {
            *t = types[i].t;
            return 1;
        }
    return 0;
}

static int info(const char *path, int json, int crc) {
    mdm_model_params p = mdm_model_params_init();
    p.verify_crc = crc;
    mdm_model *m;
    char err[512];
    mdm_status st = mdm_model_open_file(path, &p, &m, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-convert: %s: %s\n", path, err);
        return exit_code(st);
    }
    mdm_print_info(stdout, m, json);
    mdm_model_free(m);
    return fflush(stdout) == 0 ? 0 : EXIT_IO;
}

static int convert(const char *ckpt, const char *preset, uint64_t seed, int image_size,
                   const char *out, mdm_type type) {
    cv_source src;
    char err[512] = "";
    mdm_status st = ckpt ? cv_checkpoint(&src, ckpt, err, sizeof err)
                         : cv_preset_sized(&src, preset, seed, image_size, err, sizeof err);
    if (st != MDM_OK) {
        fprintf(stderr, "mdm-convert: %s: %s\n", ckpt ? ckpt : preset,
                err[0] ? err : mdm_strerror(st));
        cv_source_free(&src);
        return exit_code(st);
    }
    /* Write to a temporary name and rename, so a failed run leaves no
     * half-written model behind. */
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.part", out) >= (int)sizeof tmp) {
        cv_source_free(&src);
        return bad_usage("output path too long");
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "mdm-convert: cannot create %s: %s\n", tmp, strerror(errno));
        cv_source_free(&src);
        return EXIT_IO;
    }
    gw_sink sink = {.f = f};
    st = cv_write(&src, type, &sink, err, sizeof err);
    if (fclose(f) != 0 && st == MDM_OK)
        st = mdm_err(err, sizeof err, MDM_ERR_IO, "closing %s", tmp);
    if (st == MDM_OK && rename(tmp, out) != 0)
        st = mdm_err(err, sizeof err, MDM_ERR_IO, "renaming %s to %s: %s", tmp, out,
                     strerror(errno));
    cv_source_free(&src);
    if (st != MDM_OK) {
        remove(tmp);
        fprintf(stderr, "mdm-convert: %s\n", err[0] ? err : mdm_strerror(st));
        return st == MDM_ERR_IO ? EXIT_IO : exit_code(st); /* writing, closing, renaming */
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *ckpt = NULL, *preset = NULL, *out = NULL, *info_path = NULL;
    mdm_type type = MDM_TYPE_F32;
    uint64_t seed = 1;
    int json = 0, crc = 1, image_size = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--checkpoint") == 0 || strcmp(a, "--random") == 0 ||
                    strcmp(a, "--seed") == 0 || strcmp(a, "-o") == 0 ||
                    strcmp(a, "--type") == 0 || strcmp(a, "--info") == 0 ||
                    strcmp(a, "--image-size") == 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--no-crc") == 0) {
            crc = 0;
        } else if (!takes) {
            fprintf(stderr, "mdm-convert: unknown argument %s\n", a);
            return bad_usage("see above");
        } else if (!v) {
            fprintf(stderr, "mdm-convert: %s needs a value\n", a);
            return bad_usage("see above");
        } else {
            i++;
            if (strcmp(a, "--checkpoint") == 0) ckpt = v;
            else if (strcmp(a, "--random") == 0) preset = v;
            else if (strcmp(a, "-o") == 0) out = v;
            else if (strcmp(a, "--info") == 0) info_path = v;
            else if (strcmp(a, "--image-size") == 0) {
                char *end;
                long n = strtol(v, &end, 10);
                if (!*v || *end || n < 1 || n > 4096)
                    return bad_usage("--image-size must be an integer in 1..4096");
                image_size = (int)n;
            }
            else if (strcmp(a, "--type") == 0) {
                if (!parse_type(v, &type))
                    return bad_usage("--type must be f32, f16, q8_0 or q4_0");
            } else {
                char *end;
                errno = 0;
                unsigned long long s = strtoull(v, &end, 10);
                if (!*v || *end || errno || v[0] == '-')
                    return bad_usage("--seed must be a non-negative integer");
                seed = s;
            }
        }
    }
    if (info_path) {
        if (ckpt || preset || out)
            return bad_usage("--info takes no other mode");
        return info(info_path, json, crc);
    }
    if (!!ckpt + !!preset != 1)
        return bad_usage("give exactly one of --checkpoint, --random, --info");
    if (!out)
        return bad_usage("-o OUT.gguf is required");
    if (image_size && !preset)
        return bad_usage("--image-size goes with --random");
    return convert(ckpt, preset, seed, image_size, out, type);
}
