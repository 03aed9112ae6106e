/* The tokenizer against SentencePiece: every line of the fixture's encode and
 * decode goldens (tests/data/spm/make_fixture.py made them with spm 0.1.97). */
#include "check.h"
#include "spm_fixture.h"

/* Decodes ids into a buffer of exactly the size needed, so ASan sees any
 * overrun, and compares with the expected bytes. */
static int decode_equals(const mdm_spm *sp, const int32_t *ids, size_t n, const char *want,
                         size_t want_len) {
    size_t len = 0;
    if (mdm_spm_decode(sp, ids, n, NULL, 0, &len) != MDM_ERR_BUFFER_TOO_SMALL)
        return 0;
    char *out = malloc(len + 1);
    size_t got_len = 0;
    int ok = out && mdm_spm_decode(sp, ids, n, out, len + 1, &got_len) == MDM_OK &&
             got_len == want_len && memcmp(out, want, want_len) == 0 && out[len] == '\0';
    free(out);
    return ok;
}

/* One golden file: encode.tsv lines are text, ids, decoded; decode.tsv lines
 * are ids, decoded. */
static void check_golden(const char *name, const char *kind) {
    fx_vocab v;
    char path[256];
    size_t len = 0, lines = 0;
    snprintf(path, sizeof path, SPM_DATA "%s.%s.tsv", name, kind);
    char *buf = fx_read(path, &len);
    CHECKF(buf != NULL, "cannot read %s", path);
    CHECKF(fx_load(name, &v), "cannot load vocabulary %s", name);
    const int encode = strcmp(kind, "encode") == 0;
    for (size_t i = 0; buf && v.sp && i < len; lines++) {
        char *line = buf + i, *nl = memchr(line, '\n', len - i), *f[3];
        size_t l = nl ? (size_t)(nl - line) : len - i, fl[3];
        i += l + 1;
        size_t nf = fx_fields(line, l, f, fl, 3);
        CHECKF(nf == (encode ? 3u : 2u), "%s line %zu: %zu fields", path, lines + 1, nf);
        if (nf != (encode ? 3u : 2u))
            break;
        char *ids_f = f[encode], *dec = f[encode + 1];
        size_t n_want = fx_ids(ids_f, fl[encode], NULL, 0);
        int32_t *want = malloc((n_want + 1) * sizeof *want);
        fx_ids(ids_f, fl[encode], want, n_want);
        size_t dec_len = fx_unescape(dec, fl[encode + 1]);
        if (encode) {
            size_t text_len = fx_unescape(f[0], fl[0]), n_got = 0;
            void *work = malloc(MDM_SPM_WORK_BYTES(text_len));
            int32_t *got = malloc((n_want + 1) * sizeof *got);
            mdm_status st = mdm_spm_encode(v.sp, f[0], text_len, work, MDM_SPM_WORK_BYTES(text_len),
                                           got, n_want, &n_got);
            CHECKF(st == MDM_OK && n_got == n_want && memcmp(got, want, n_want * sizeof *got) == 0,
                   "%s line %zu: status %d, %zu ids, want %zu", path, lines + 1, (int)st, n_got,
                   n_want);
            free(work);
            free(got);
        }
        CHECKF(decode_equals(v.sp, want, n_want, dec, dec_len), "%s line %zu: decode differs",
               path, lines + 1);
        free(want);
    }
    CHECKF(lines >= 20, "%s: only %zu lines", path, lines);
    free(buf);
    fx_free(&v);
}

static void encode_main(void) { check_golden("main", "encode"); }
static void decode_main(void) { check_golden("main", "decode"); }
static void encode_unused(void) { check_golden("unused", "encode"); }
static void decode_unused(void) { check_golden("unused", "decode"); }
static void encode_bytes_and_user_defined(void) { check_golden("bytes", "encode"); }
static void decode_bytes(void) { check_golden("bytes", "decode"); }
static void encode_float_ties(void) { check_golden("tie", "encode"); }
static void encode_unknown_ties(void) { check_golden("tieunk", "encode"); }

int main(void) {
    RUN(encode_main);
    RUN(decode_main);
    RUN(encode_unused);
    RUN(decode_unused);
    RUN(encode_bytes_and_user_defined);
    RUN(decode_bytes);
    RUN(encode_float_ties);
    RUN(encode_unknown_ties);
    CHECK_EXIT();
}
