/* Helpers for the tokenizer tests: load a tests/data/spm vocabulary and build
 * a tokenizer from it, and read the fixture's escaped text fields. */
#ifndef MDM_TEST_SPM_FIXTURE_H
#define MDM_TEST_SPM_FIXTURE_H
#include "text/spm.h"
#include "text/vocab_tsv.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPM_DATA "tests/data/spm/"
#define SPM_SPACE "\xe2\x96\x81" /* U+2581 */

typedef struct {
    char *tsv;
    size_t n;
    const char **piece;
    uint32_t *len;
    float *score;
    int32_t *type;
    int32_t unk_id;
    void *mem;
    mdm_spm *sp;
} fx_vocab;

static char *fx_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL &&
        fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

static mdm_spm_vocab fx_spec(const fx_vocab *v) {
    mdm_spm_vocab s = {v->n, v->piece, v->len, v->score, v->type, v->unk_id};
    return s;
}

static void fx_free(fx_vocab *v) {
    free(v->tsv);
    free(v->piece);
    free(v->len);
    free(v->score);
    free(v->type);
    free(v->mem);
    memset(v, 0, sizeof *v);
}

/* Loads SPM_DATA name.vocab.tsv and builds its tokenizer in exactly the
 * bytes mdm_spm_size asks for; 0 on any failure. */
static int fx_load(const char *name, fx_vocab *v) {
    char path[256];
    size_t len = 0, n = 0, size = 0;
    memset(v, 0, sizeof *v);
    snprintf(path, sizeof path, SPM_DATA "%s.vocab.tsv", name);
    if (!(v->tsv = fx_read(path, &len)) ||
        mdm_vocab_tsv_parse(v->tsv, len, NULL, NULL, NULL, NULL, 0, &n) != MDM_ERR_BUFFER_TOO_SMALL)
        return 0;
    v->n = n;
    v->piece = malloc(n * sizeof *v->piece);
    v->len = malloc(n * sizeof *v->len);
    v->score = malloc(n * sizeof *v->score);
    v->type = malloc(n * sizeof *v->type);
    if (!v->piece || !v->len || !v->score || !v->type ||
        mdm_vocab_tsv_parse(v->tsv, len, v->piece, v->len, v->score, v->type, n, &n) != MDM_OK)
        return 0;
    v->unk_id = -1;
    for (size_t i = 0; i < n; i++)
        if (v->type[i] == MDM_SPM_UNKNOWN)
            v->unk_id = (int32_t)i;
    mdm_spm_vocab spec = fx_spec(v);
    return mdm_spm_size(&spec, &size) == MDM_OK && (v->mem = malloc(size)) != NULL &&
           mdm_spm_init(v->mem, size, &spec, &v->sp) == MDM_OK;
}

/* Undoes the fixture's escapes (\\ and \xHH) in place; returns the length. */
static size_t fx_unescape(char *s, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\\') {
            s[o++] = '\\';
            i++;
        } else if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x') {
            char hex[3] = {s[i + 2], s[i + 3], 0};
            s[o++] = (char)strtol(hex, NULL, 16);
            i += 3;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

/* Space-separated ids; returns how many (at most cap are stored). */
static size_t fx_ids(const char *s, size_t len, int32_t *ids, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        long v = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            v = v * 10 + (s[i] - '0');
        if (n < cap)
            ids[n] = (int32_t)v;
        n++;
    }
    return n;
}

/* Splits a line at tabs into at most max fields; returns the field count. */
static size_t fx_fields(char *line, size_t len, char **f, size_t *flen, size_t max) {
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len && k < max; i++) {
        if (i == len || line[i] == '\t') {
            f[k] = line + start;
            flen[k++] = i - start;
            start = i + 1;
        }
    }
    return k;
}

#endif
