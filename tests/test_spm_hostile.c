/* The tokenizer on bad vocabularies, bad arguments and random bytes: every
 * call returns a status, never crashes (make test runs this under ASan). */
#include "check.h"
#include "spm_fixture.h"
#include <math.h>

/* xorshift64: the same sequence everywhere, so a failure reproduces. */
static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static mdm_status tsv(const char *text, size_t len, size_t cap, size_t *n) {
    /* Exact-size copy without a terminator: ASan catches reads past it. */
    char *copy = malloc(len ? len : 1);
    const char *piece[4];
    uint32_t plen[4];
    float score[4];
    int32_t type[4];
    memcpy(copy, text, len);
    mdm_status st = mdm_vocab_tsv_parse(copy, len, piece, plen, score, type, cap, n);
    free(copy);
    return st;
}

static void vocab_tsv_errors(void) {
    size_t n;
    static const char *bad[] = {"a\t1\n",         "\t0\t1\n",      "a\tx\t1\n",   "a\t\t1\n",
                                "a\tnan\t1\n",    "a\tinf\t1\n",   "a\t1e99\t1\n", "a\t 1\t1\n",
                                "a\t1\t0\n",      "a\t1\t7\n",     "a\t1\t12\n",  "a\t1\t\n",
                                "a\t1\t1\tx\n",   "a\t1.5",        "a\t1.5\t",    "a\t1,5\t1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(tsv(bad[i], strlen(bad[i]), 4, &n) == MDM_ERR_BAD_VOCAB && n == 0, "case %zu", i);
    CHECK(tsv("a\t1\t1\n\nb\t1\t1\n", 14, 4, &n) == MDM_ERR_BAD_VOCAB && n == 1);
    CHECK(tsv("a\t-1.5\t1\r\nb\t2\t6", 15, 4, &n) == MDM_OK && n == 2);
    CHECK(tsv("a\t1\t1\nb\t1\t1\nc\t1\t1\n", 18, 2, &n) == MDM_ERR_BUFFER_TOO_SMALL && n == 3);
    CHECK(tsv("", 0, 0, &n) == MDM_OK && n == 0);
    CHECK(mdm_vocab_tsv_parse(NULL, 1, NULL, NULL, NULL, NULL, 0, &n) == MDM_ERR_INVALID_ARG);
}

/* A small valid vocabulary to break one way at a time. */
enum { BASE_N = 7 };
typedef struct {
    const char *piece[300];
    uint32_t len[300];
    float score[300];
    int32_t type[300];
    char bytes[256][7];
    mdm_spm_vocab v;
} vocab_case;

static void base_case(vocab_case *c) {
    static const char *p[BASE_N] = {"<pad>", "<unk>", "</s>", SPM_SPACE, "a", "b", SPM_SPACE "a"};
    static const int32_t t[BASE_N] = {3, 2, 3, 1, 1, 1, 1};
    for (int i = 0; i < BASE_N; i++) {
        c->piece[i] = p[i];
        c->len[i] = (uint32_t)strlen(p[i]);
        c->score[i] = -1.0f - (float)i;
        c->type[i] = t[i];
    }
    c->v = (mdm_spm_vocab){BASE_N, c->piece, c->len, c->score, c->type, 1};
}

/* Status of size and of init for c->v (init in exactly the size asked). */
static mdm_status build(const vocab_case *c, mdm_status *size_status) {
    size_t size = 0;
    *size_status = mdm_spm_size(&c->v, &size);
    if (*size_status != MDM_OK)
        return *size_status;
    void *mem = malloc(size);
    mdm_spm *sp;
    mdm_status st = mdm_spm_init(mem, size, &c->v, &sp);
    free(mem);
    return st;
}

static void set_piece(vocab_case *c, int i, const char *p, size_t len, int32_t type) {
    c->piece[i] = p;
    c->len[i] = (uint32_t)len;
    c->type[i] = type;
}

#define EXPECT(setup, want_size, want_init)                                                   \
    do {                                                                                      \
        vocab_case c_;                                                                        \
        vocab_case *c = &c_;                                                                  \
        mdm_status ss_, si_;                                                                  \
        base_case(c);                                                                         \
        setup;                                                                                \
        si_ = build(c, &ss_);                                                                 \
        CHECKF(ss_ == (want_size) && si_ == (want_init), "%s: size %d init %d", #setup,      \
               (int)ss_, (int)si_);                                                           \
    } while (0)

static void add_bytes(vocab_case *c, int count) {
    for (int b = 0; b < count; b++) {
        snprintf(c->bytes[b], sizeof c->bytes[b], "<0x%02X>", b);
        set_piece(c, BASE_N + b, c->bytes[b], 6, MDM_SPM_BYTE);
        c->score[BASE_N + b] = 0.0f;
    }
    c->v.n = (size_t)(BASE_N + count);
}

static void vocab_validation(void) {
    const mdm_status OK = MDM_OK, BAD = MDM_ERR_BAD_VOCAB;
    char longp[MDM_SPM_MAX_PIECE_BYTES + 1];
    memset(longp, 'x', sizeof longp);
    EXPECT((void)c, OK, OK);
    EXPECT(set_piece(c, 4, "", 0, 1), BAD, BAD);
    EXPECT(set_piece(c, 0, "", 0, 3), BAD, BAD);
    EXPECT(set_piece(c, 4, "\xff", 1, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, "\xc0\xaf", 2, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, "\xed\xa0\x80", 3, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, "\xe2\x96", 2, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, "\xf4\x90\x80\x80", 4, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, "a\0b", 3, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, longp, sizeof longp, 1), BAD, BAD);
    EXPECT(set_piece(c, 4, longp, sizeof longp - 1, 1), OK, OK);
    EXPECT(set_piece(c, 4, NULL, 1, 1), BAD, BAD);
    EXPECT(c->type[1] = 3, BAD, BAD);
    EXPECT(c->type[4] = 2, BAD, BAD);
    EXPECT(c->v.unk_id = 0, BAD, BAD);
    EXPECT(c->v.unk_id = -1, BAD, BAD);
    EXPECT(c->v.unk_id = BASE_N, BAD, BAD);
    EXPECT(c->type[4] = 0, BAD, BAD);
    EXPECT(c->type[4] = 7, BAD, BAD);
    EXPECT(c->score[4] = NAN, BAD, BAD);
    EXPECT(c->score[4] = INFINITY, BAD, BAD);
    EXPECT(c->v.n = 0, BAD, BAD);
    EXPECT(c->v.n = (size_t)MDM_SPM_MAX_PIECES + 1, BAD, BAD);
    EXPECT(c->v.piece = NULL, MDM_ERR_INVALID_ARG, MDM_ERR_INVALID_ARG);
    EXPECT(c->v.score = NULL, MDM_ERR_INVALID_ARG, MDM_ERR_INVALID_ARG);
    /* Duplicates: only the sort in init sees them. */
    EXPECT(set_piece(c, 5, "a", 1, 1), OK, BAD);
    EXPECT(set_piece(c, 5, "a", 1, 5), OK, BAD);
    EXPECT(set_piece(c, 5, "a", 1, 4), OK, BAD);
    EXPECT(set_piece(c, 2, "<pad>", 5, 3), OK, BAD);
    EXPECT(set_piece(c, 2, "a", 1, 3), OK, OK); /* control and normal: two maps */
    EXPECT(set_piece(c, 5, "<unk>", 5, 1), OK, OK);
    /* Byte pieces: all 256, upper-case hex, each once. */
    EXPECT(add_bytes(c, 256), OK, OK);
    EXPECT(add_bytes(c, 255), BAD, BAD);
    EXPECT((add_bytes(c, 256), set_piece(c, BASE_N + 10, "<0x0a>", 6, 6)), BAD, BAD);
    EXPECT((add_bytes(c, 256), set_piece(c, BASE_N + 10, "<0x0G>", 6, 6)), BAD, BAD);
    EXPECT((add_bytes(c, 256), set_piece(c, BASE_N + 10, "<0x0B>", 6, 6)), BAD, BAD);
    EXPECT((add_bytes(c, 256), set_piece(c, BASE_N + 10, "<0x0A", 5, 6)), BAD, BAD);
    EXPECT((add_bytes(c, 256), set_piece(c, BASE_N + 10, "X", 1, 1)), BAD, BAD);
}

static void init_memory(void) {
    vocab_case c;
    base_case(&c);
    size_t size = 0;
    CHECK(mdm_spm_size(&c.v, &size) == MDM_OK && size > 0);
    CHECK(mdm_spm_size(&c.v, NULL) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_size(NULL, &size) == MDM_ERR_INVALID_ARG);
    char *mem = malloc(size + 1);
    mdm_spm *sp = (mdm_spm *)mem;
    CHECK(mdm_spm_init(mem + 1, size - 1, &c.v, &sp) == MDM_ERR_BUFFER_TOO_SMALL && sp == NULL);
    CHECK(mdm_spm_init(NULL, size, &c.v, &sp) == MDM_ERR_INVALID_ARG);
    /* Any alignment works; the vocabulary may go away after init. */
    CHECK(mdm_spm_init(mem + 1, size, &c.v, &sp) == MDM_OK && sp != NULL);
    memset(&c, 0, sizeof c);
    char work[MDM_SPM_WORK_BYTES(8)];
    int32_t ids[8];
    size_t n = 0;
    CHECK(mdm_spm_encode(sp, "a  ba", 5, work + 1, sizeof work - 1, ids, 8, &n) == MDM_OK);
    CHECK(n == 4 && ids[0] == 6 && ids[1] == 3 && ids[2] == 5 && ids[3] == 4);
    const char *p;
    size_t plen;
    int type;
    CHECK(mdm_spm_n_pieces(sp) == BASE_N && mdm_spm_n_pieces(NULL) == 0);
    CHECK(mdm_spm_piece(sp, 6, &p, &plen, &type) == MDM_OK && plen == 4 &&
          memcmp(p, SPM_SPACE "a", 4) == 0 && type == MDM_SPM_NORMAL);
    CHECK(mdm_spm_piece(sp, BASE_N, &p, &plen, &type) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_piece(sp, -1, &p, &plen, &type) == MDM_ERR_INVALID_ARG);
    free(mem);
}

static void encode_arguments(void) {
    fx_vocab v;
    CHECK(fx_load("main", &v));
    if (!v.sp)
        return;
    size_t n = 99, ws = 0;
    int32_t ids[64];
    char work[MDM_SPM_WORK_BYTES(64)];
    const char *text = "a photo of a sneaker";
    const size_t len = strlen(text);
    CHECK(mdm_spm_encode(v.sp, NULL, 0, work, sizeof work, ids, 64, &n) == MDM_OK && n == 0);
    CHECK(mdm_spm_encode(v.sp, NULL, 1, work, sizeof work, ids, 64, &n) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_encode(NULL, text, len, work, sizeof work, ids, 64, &n) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_encode(v.sp, text, len, NULL, 0, ids, 64, &n) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_encode(v.sp, text, len, work, sizeof work, NULL, 1, &n) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_encode(v.sp, text, len, work, sizeof work, ids, 64, NULL) == MDM_ERR_INVALID_ARG);
    /* Huge lengths are refused before the text is touched. */
    CHECK(mdm_spm_encode(v.sp, text, SIZE_MAX, work, sizeof work, ids, 64, &n) ==
          MDM_ERR_TEXT_TOO_LONG);
    CHECK(mdm_spm_encode(v.sp, text, (size_t)MDM_SPM_MAX_TEXT_BYTES + 1, work, SIZE_MAX, ids, 64,
                         &n) == MDM_ERR_TEXT_TOO_LONG);
    CHECK(mdm_spm_work_size(SIZE_MAX, &ws) == MDM_ERR_TEXT_TOO_LONG);
    CHECK(mdm_spm_work_size(len, &ws) == MDM_OK && ws == MDM_SPM_WORK_BYTES(len));
    CHECK(mdm_spm_encode(v.sp, text, len, work, ws - 1, ids, 64, &n) ==
          MDM_ERR_BUFFER_TOO_SMALL);
    /* Too few ids: the count needed and the ids that fit. */
    int32_t all[64], few[3] = {-7, -7, -7};
    size_t n_all = 0, n_few = 0;
    CHECK(mdm_spm_encode(v.sp, text, len, work, ws, all, 64, &n_all) == MDM_OK && n_all > 3);
    CHECK(mdm_spm_encode(v.sp, text, len, work, ws, few, 2, &n_few) == MDM_ERR_TEXT_TOO_LONG);
    CHECK(n_few == n_all && few[0] == all[0] && few[1] == all[1] && few[2] == -7);
    CHECK(mdm_spm_encode(v.sp, text, len, work, ws, NULL, 0, &n_few) == MDM_ERR_TEXT_TOO_LONG &&
          n_few == n_all);
    fx_free(&v);
}

static void decode_arguments(void) {
    fx_vocab v;
    CHECK(fx_load("main", &v));
    if (!v.sp)
        return;
    char out[64];
    size_t len = 99;
    const int32_t bad1[] = {3, -1}, bad2[] = {(int32_t)v.n}, ok[] = {3, 4, 5, 6};
    CHECK(mdm_spm_decode(v.sp, bad1, 2, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_decode(v.sp, bad2, 1, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_decode(v.sp, NULL, 1, out, sizeof out, &len) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_decode(v.sp, ok, 4, NULL, 1, &len) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_spm_decode(v.sp, NULL, 0, out, sizeof out, &len) == MDM_OK && len == 0 && !out[0]);
    size_t need = 0;
    CHECK(mdm_spm_decode(v.sp, ok, 4, NULL, 0, &need) == MDM_ERR_BUFFER_TOO_SMALL && need > 0);
    CHECK(mdm_spm_decode(v.sp, ok, 4, out, need, &len) == MDM_ERR_BUFFER_TOO_SMALL &&
          len == need && out[0] == '\0');
    CHECK(mdm_spm_decode(v.sp, ok, 4, out, need + 1, &len) == MDM_OK && len == need &&
          strlen(out) == need);
    fx_free(&v);
}

/* Encodes random bytes; the ids must be valid pieces that an encoder can
 * produce, and decoding them must work. */
static void random_text_on(const char *name, uint64_t seed, int rounds) {
    fx_vocab v;
    CHECK(fx_load(name, &v));
    if (!v.sp)
        return;
    static const unsigned char pick[] = {' ', ' ', ' ', 'a', 'e', 'o', 's', 't', 'h', '?', 0xe2,
                                         0x96, 0x81, 0xc3, 0xa9, 0xff, 0x80, 0xf0, 0x9f, 0x00};
    unsigned char text[300];
    for (int r = 0; r < rounds; r++) {
        size_t len = (size_t)(rnd(&seed) % sizeof text);
        for (size_t i = 0; i < len; i++)
            text[i] = rnd(&seed) % 4 ? pick[rnd(&seed) % sizeof pick] : (unsigned char)rnd(&seed);
        const size_t ws = MDM_SPM_WORK_BYTES(len);
        void *work = malloc(ws);
        int32_t *ids = malloc((3 * len + 3) * sizeof *ids);
        size_t n = 0;
        mdm_status st = mdm_spm_encode(v.sp, (const char *)text, len, work, ws, ids, 3 * len + 3, &n);
        CHECKF(st == MDM_OK && n <= 3 * len + 3, "round %d: status %d", r, (int)st);
        for (size_t i = 0; st == MDM_OK && i < n; i++) {
            const int t = v.type[ids[i]];
            CHECKF(t == MDM_SPM_NORMAL || t == MDM_SPM_USER_DEFINED || t == MDM_SPM_UNKNOWN ||
                       t == MDM_SPM_BYTE,
                   "round %d: id %d of type %d", r, (int)ids[i], t);
            CHECKF(i == 0 || ids[i] != v.unk_id || ids[i - 1] != v.unk_id, "round %d: unk run", r);
        }
        size_t out_len = 0;
        char out[4096];
        CHECK(st != MDM_OK || mdm_spm_decode(v.sp, ids, n, out, sizeof out, &out_len) == MDM_OK);
        free(work);
        free(ids);
    }
    fx_free(&v);
}

static void random_text(void) {
    random_text_on("main", 0x9e3779b97f4a7c15u, 1500);
    random_text_on("bytes", 0x2545f4914f6cdd1du, 1500);
    random_text_on("unused", 12345, 500);
}

/* Random small vocabularies: build, or a status; if built, encode works. */
static void random_vocab(void) {
    uint64_t seed = 0x0123456789abcdefu;
    static const char *alpha[] = {"a", "b", "a", "b", " ", SPM_SPACE, "\xc3\xa9", "<",
                                  "c", "\xff", "\xe2\x96", "ab"};
    char pool[64][20];
    const char *piece[64];
    uint32_t len[64];
    float score[64];
    int32_t type[64];
    int built = 0;
    for (int r = 0; r < 2000; r++) {
        size_t n = 1 + rnd(&seed) % 24;
        for (size_t i = 0; i < n; i++) {
            size_t l = 0, k = 1 + rnd(&seed) % 4;
            for (size_t j = 0; j < k; j++) {
                const char *a = alpha[rnd(&seed) % (rnd(&seed) % 16 ? 9 : 12)];
                memcpy(pool[i] + l, a, strlen(a));
                l += strlen(a);
            }
            piece[i] = pool[i];
            len[i] = (uint32_t)l;
            score[i] = -(float)(rnd(&seed) % 1000) / 100.0f;
            type[i] = rnd(&seed) % 4 ? 1 : (int32_t)(rnd(&seed) % 8);
        }
        int32_t unk = (int32_t)(rnd(&seed) % n);
        if (rnd(&seed) % 8) {
            type[unk] = MDM_SPM_UNKNOWN;
            len[unk] = 5;
            piece[unk] = "<unk>";
        }
        mdm_spm_vocab v = {n, piece, len, score, type, unk};
        size_t size = 0;
        mdm_status st = mdm_spm_size(&v, &size);
        CHECKF(st == MDM_OK || st == MDM_ERR_BAD_VOCAB, "round %d: %d", r, (int)st);
        if (st != MDM_OK)
            continue;
        void *mem = malloc(size);
        mdm_spm *sp = NULL;
        st = mdm_spm_init(mem, size, &v, &sp);
        CHECKF(st == MDM_OK || st == MDM_ERR_BAD_VOCAB, "round %d: %d", r, (int)st);
        for (int t = 0; st == MDM_OK && t < 5; t++) {
            char text[40], work[MDM_SPM_WORK_BYTES(40)], out[1024];
            int32_t ids[130];
            size_t tl = rnd(&seed) % sizeof text, n_ids = 0, out_len = 0;
            for (size_t i = 0; i < tl; i++)
                text[i] = "ab \xc3\xa9\xff<"[rnd(&seed) % 7];
            CHECK(mdm_spm_encode(sp, text, tl, work, sizeof work, ids, 130, &n_ids) == MDM_OK);
            CHECK(mdm_spm_decode(sp, ids, n_ids, out, sizeof out, &out_len) == MDM_OK);
            built++;
        }
        free(mem);
    }
    CHECKF(built > 1000, "only %d encodes on built vocabularies", built);
}

/* A long text of one word: the path is only resolved at its end. */
static void long_text(void) {
    fx_vocab v;
    CHECK(fx_load("main", &v));
    if (!v.sp)
        return;
    const size_t len = 1 << 20;
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = "sneakerphotobag"[i % 15];
    void *work = malloc(MDM_SPM_WORK_BYTES(len));
    int32_t *ids = malloc(len * sizeof *ids);
    size_t n = 0;
    CHECK(mdm_spm_encode(v.sp, text, len, work, MDM_SPM_WORK_BYTES(len), ids, len, &n) == MDM_OK);
    CHECK(n > 1000 && n < len);
    free(text);
    free(work);
    free(ids);
    fx_free(&v);
}

int main(void) {
    RUN(vocab_tsv_errors);
    RUN(vocab_validation);
    RUN(init_memory);
    RUN(encode_arguments);
    RUN(decode_arguments);
    RUN(random_text);
    RUN(random_vocab);
    RUN(long_text);
    CHECK_EXIT();
}
