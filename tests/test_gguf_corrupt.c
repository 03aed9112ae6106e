/* The loader never trusts its input: a small model built with the
 * converter's code, truncated at every byte, with thousands of seeded bit
 * flips, and crafted containers that each must give one specific status. */
#include "check.h"
#include "test_gguf_util.h"

/* ---- a byte builder for crafted containers ---- */
typedef struct {
    uint8_t b[8192];
    size_t n;
} bytes;

static void b_u32(bytes *b, uint32_t v) { put_u32(b->b + b->n, v); b->n += 4; }
static void b_u64(bytes *b, uint64_t v) { put_u64(b->b + b->n, v); b->n += 8; }
static void b_str(bytes *b, const char *s) {
    b_u64(b, strlen(s));
    memcpy(b->b + b->n, s, strlen(s));
    b->n += strlen(s);
}
static void b_head(bytes *b, uint64_t n_tensors, uint64_t n_kv) {
    b->n = 0;
    memcpy(b->b, "GGUF", 4);
    b->n = 4;
    b_u32(b, 3);
    b_u64(b, n_tensors);
    b_u64(b, n_kv);
}
/* A tensor info record with up to 2 dims. */
static void b_tensor(bytes *b, const char *name, uint32_t n_dims, uint64_t ne0, uint64_t ne1,
                     uint32_t type, uint64_t offset) {
    b_str(b, name);
    b_u32(b, n_dims);
    b_u64(b, ne0);
    if (n_dims > 1)
        b_u64(b, ne1);
    b_u32(b, type);
    b_u64(b, offset);
}
/* Zero padding to 32, then data bytes of zeros. */
static void b_data(bytes *b, size_t data) {
    while (b->n % 32)
        b->b[b->n++] = 0;
    memset(b->b + b->n, 0, data);
    b->n += data;
}

static mdm_status gguf_status(const bytes *b) {
    uint8_t *c = malloc(b->n);
    memcpy(c, b->b, b->n);
    mdm_gguf g;
    char err[256];
    mdm_status st = mdm_gguf_open(&g, c, b->n, err, sizeof err);
    if (st == MDM_OK)
        mdm_gguf_close(&g);
    else
        CHECKF(err[0] != '\0', "no message for status %d", st);
    free(c);
    return st;
}

#define EXPECT(b, want)                                                                     \
    do {                                                                                    \
        mdm_status got_ = gguf_status(b);                                                   \
        CHECKF(got_ == (want), "line %d: got %s, want %s", __LINE__, mdm_strerror(got_),    \
               mdm_strerror(want));                                                         \
    } while (0)

static void crafted_header(void) {
    bytes b;
    b_head(&b, 0, 0);
    EXPECT(&b, MDM_ERR_TRUNCATED); /* no padding to the data section */
    b_data(&b, 0);
    EXPECT(&b, MDM_OK);
    b.b[0] = 'X';
    EXPECT(&b, MDM_ERR_BAD_MAGIC);
    b_head(&b, 0, 0);
    put_u32(b.b + 4, 2);
    EXPECT(&b, MDM_ERR_BAD_VERSION);
    b_head(&b, (uint64_t)1 << 40, 0);
    EXPECT(&b, MDM_ERR_BAD_COUNT);
    b_head(&b, 0, UINT64_MAX);
    EXPECT(&b, MDM_ERR_BAD_COUNT);
    b_head(&b, 1000, 0); /* plausible count, no bytes for it */
    EXPECT(&b, MDM_ERR_TRUNCATED);
    b_head(&b, 0, 1000);
    EXPECT(&b, MDM_ERR_TRUNCATED);
}

static void crafted_kv(void) {
    bytes b;
    b_head(&b, 0, 1); /* huge key length */
    b_u64(&b, UINT64_MAX);
    b_u64(&b, 0);
    b_u64(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_STRING);
    b_head(&b, 0, 1); /* huge string value */
    b_str(&b, "general.name");
    b_u32(&b, MDM_GGUF_STRING);
    b_u64(&b, (uint64_t)1 << 62);
    b_u64(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_STRING);
    b_head(&b, 0, 1); /* string longer than the file */
    b_str(&b, "general.name");
    b_u32(&b, MDM_GGUF_STRING);
    b_u64(&b, 100);
    EXPECT(&b, MDM_ERR_TRUNCATED);
    b_head(&b, 0, 1); /* huge array */
    b_str(&b, "a");
    b_u32(&b, MDM_GGUF_ARRAY);
    b_u32(&b, MDM_GGUF_UINT64);
    b_u64(&b, UINT64_MAX / 4);
    b_u64(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_ARRAY);
    b_head(&b, 0, 1); /* array of arrays */
    b_str(&b, "a");
    b_u32(&b, MDM_GGUF_ARRAY);
    b_u32(&b, MDM_GGUF_ARRAY);
    b_u64(&b, 1);
    b_u64(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_ARRAY);
    b_head(&b, 0, 1); /* array of strings, one of them too long */
    b_str(&b, "a");
    b_u32(&b, MDM_GGUF_ARRAY);
    b_u32(&b, MDM_GGUF_STRING);
    b_u64(&b, 2);
    b_str(&b, "x");
    b_u64(&b, UINT64_MAX);
    EXPECT(&b, MDM_ERR_BAD_STRING);
    b_head(&b, 0, 1); /* unknown value type */
    b_str(&b, "a");
    b_u32(&b, 13);
    b_u64(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_KEY_TYPE);
    b_head(&b, 0, 2); /* duplicate key */
    b_str(&b, "k");
    b_u32(&b, MDM_GGUF_UINT8);
    b.b[b.n++] = 1;
    b_str(&b, "k");
    b_u32(&b, MDM_GGUF_UINT8);
    b.b[b.n++] = 2;
    EXPECT(&b, MDM_ERR_DUPLICATE_KEY);
    b_head(&b, 0, 1); /* empty key */
    b_str(&b, "");
    b_u32(&b, MDM_GGUF_UINT8);
    b.b[b.n++] = 1;
    b_data(&b, 0);
    EXPECT(&b, MDM_ERR_BAD_STRING);
    const uint32_t bad_align[] = {0, 16, 48, 1u << 20};
    for (int i = 0; i < 4; i++) {
        b_head(&b, 0, 1);
        b_str(&b, "general.alignment");
        b_u32(&b, MDM_GGUF_UINT32);
        b_u32(&b, bad_align[i]);
        EXPECT(&b, MDM_ERR_BAD_ALIGNMENT);
    }
    b_head(&b, 0, 1);
    b_str(&b, "general.alignment");
    b_u32(&b, MDM_GGUF_UINT64);
    b_u64(&b, 64);
    EXPECT(&b, MDM_ERR_BAD_KEY_TYPE);
}

static void crafted_tensors(void) {
    bytes b;
    b_head(&b, 1, 0);
    b_tensor(&b, "t", 2, 32, 2, MDM_TYPE_F32, 0);
    b_data(&b, 256);
    EXPECT(&b, MDM_OK);
    b.n -= 1; /* one byte short */
    EXPECT(&b, MDM_ERR_BAD_OFFSET);
    b_head(&b, 1, 0); /* dims product overflows 64 bits */
    b_tensor(&b, "t", 2, (uint64_t)1 << 32, (uint64_t)1 << 32, MDM_TYPE_F32, 0);
    b_data(&b, 64);
    EXPECT(&b, MDM_ERR_OVERFLOW);
    b_head(&b, 1, 0); /* one dim above INT64_MAX */
    b_tensor(&b, "t", 1, (uint64_t)1 << 63, 0, MDM_TYPE_F32, 0);
    b_data(&b, 64);
    EXPECT(&b, MDM_ERR_OVERFLOW);
    b_head(&b, 1, 0); /* bytes overflow: 2^62 f32 values */
    b_tensor(&b, "t", 1, (uint64_t)1 << 62, 0, MDM_TYPE_F32, 0);
    b_data(&b, 64);
    EXPECT(&b, MDM_ERR_OVERFLOW);
    b_head(&b, 1, 0); /* offset + size overflows */
    b_tensor(&b, "t", 1, 32, 0, MDM_TYPE_F32, UINT64_MAX - 63);
    b_data(&b, 128);
    EXPECT(&b, MDM_ERR_OVERFLOW);
    b_head(&b, 1, 0); /* offset beyond the data */
    b_tensor(&b, "t", 1, 32, 0, MDM_TYPE_F32, 1u << 20);
    b_data(&b, 128);
    EXPECT(&b, MDM_ERR_BAD_OFFSET);
    b_head(&b, 1, 0); /* misaligned */
    b_tensor(&b, "t", 1, 8, 0, MDM_TYPE_F32, 4);
    b_data(&b, 64);
    EXPECT(&b, MDM_ERR_MISALIGNED);
    const uint32_t bad_types[] = {3, 6, 7, 9, 30, 0xffffffffu};
    for (int i = 0; i < 6; i++) {
        b_head(&b, 1, 0);
        b_tensor(&b, "t", 1, 32, 0, bad_types[i], 0);
        b_data(&b, 128);
        EXPECT(&b, MDM_ERR_BAD_TENSOR_TYPE);
    }
    b_head(&b, 1, 0); /* Q8_0 row not a whole block */
    b_tensor(&b, "t", 2, 16, 2, MDM_TYPE_Q8_0, 0);
    b_data(&b, 128);
    EXPECT(&b, MDM_ERR_BAD_SHAPE);
    b_head(&b, 1, 0);
    b_tensor(&b, "t", 1, 0, 0, MDM_TYPE_F32, 0);
    EXPECT(&b, MDM_ERR_BAD_SHAPE);
    b_head(&b, 1, 0);
    b_tensor(&b, "t", 5, 1, 1, MDM_TYPE_F32, 0);
    EXPECT(&b, MDM_ERR_BAD_SHAPE);
    b_head(&b, 1, 0);
    b_tensor(&b, "t", 0, 1, 1, MDM_TYPE_F32, 0);
    EXPECT(&b, MDM_ERR_BAD_SHAPE);
    b_head(&b, 2, 0); /* overlap */
    b_tensor(&b, "a", 1, 32, 0, MDM_TYPE_F32, 0);
    b_tensor(&b, "b", 1, 32, 0, MDM_TYPE_F32, 64);
    b_data(&b, 256);
    EXPECT(&b, MDM_ERR_OVERLAP);
    b_head(&b, 2, 0); /* duplicate names */
    b_tensor(&b, "a", 1, 8, 0, MDM_TYPE_F32, 0);
    b_tensor(&b, "a", 1, 8, 0, MDM_TYPE_F32, 32);
    b_data(&b, 64);
    EXPECT(&b, MDM_ERR_DUPLICATE_TENSOR);
    char longname[80];
    memset(longname, 'x', 64);
    longname[64] = '\0';
    b_head(&b, 1, 0);
    b_tensor(&b, longname, 1, 8, 0, MDM_TYPE_F32, 0);
    b_data(&b, 32);
    EXPECT(&b, MDM_ERR_BAD_TENSOR_NAME);
    b_head(&b, 1, 0);
    b_tensor(&b, "", 1, 8, 0, MDM_TYPE_F32, 0);
    b_data(&b, 32);
    EXPECT(&b, MDM_ERR_BAD_TENSOR_NAME);
    b_head(&b, 1, 0);
    b_tensor(&b, "a\"b", 1, 8, 0, MDM_TYPE_F32, 0); /* printable ASCII is fine */
    b_data(&b, 32);
    EXPECT(&b, MDM_OK);
    b_head(&b, 1, 0);
    b_tensor(&b, "a\nb", 1, 8, 0, MDM_TYPE_F32, 0);
    b_data(&b, 32);
    EXPECT(&b, MDM_ERR_BAD_TENSOR_NAME);
}

/* ---- the micro model: truncation and bit flips ---- */
static uint8_t *model;
static size_t model_size, data_offset, last_end;

static void model_layout(void) {
    mdm_gguf g;
    char err[256];
    CHECK(mdm_gguf_open(&g, model, model_size, err, sizeof err) == MDM_OK);
    data_offset = (size_t)g.data_offset;
    last_end = 0;
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        size_t e = (size_t)(g.tensors[i].offset + g.tensors[i].nbytes);
        last_end = e > last_end ? e : last_end;
    }
    last_end += data_offset;
    mdm_gguf_close(&g);
    CHECK(data_offset > 0 && last_end <= model_size && model_size % 64 == 0);
    CHECK(open_copy(model, model_size, 1, err, sizeof err) == MDM_OK);
}

static void truncation_every_byte(void) {
    char err[256];
    size_t bad = 0;
    for (size_t cut = 0; cut < model_size; cut++) {
        mdm_status want = cut < data_offset ? MDM_ERR_TRUNCATED
                          : cut < last_end  ? MDM_ERR_BAD_OFFSET
                                            : MDM_ERR_CRC;
        mdm_status got = open_copy(model, cut, 1, err, sizeof err);
        if (got != want && bad++ < 3)
            CHECKF(0, "cut at %zu: %s (want %s)", cut, err, mdm_strerror(want));
    }
    CHECK(bad == 0);
}

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int known_status(mdm_status st) {
    switch (st) {
#define C(name, num, msg) case name: return 1;
        MDM_STATUS_LIST(C)
#undef C
    }
    return 0;
}

static void bit_flips(void) {
    uint8_t *c = malloc(model_size);
    char err[256];
    uint32_t seed = 20261127;
    int in_data_wrong = 0, opened = 0;
    for (int i = 0; i < 6000; i++) {
        memcpy(c, model, model_size);
        int k = 1 + (int)(lcg(&seed) % 3);
        size_t min_pos = model_size;
        for (int j = 0; j < k; j++) {
            /* Most flips in the header, where the parser works. */
            size_t pos = lcg(&seed) % 4 ? lcg(&seed) % data_offset : lcg(&seed) % model_size;
            c[pos] ^= (uint8_t)(1u << (lcg(&seed) % 8));
            min_pos = pos < min_pos ? pos : min_pos;
        }
        mdm_model_params p = mdm_model_params_init();
        p.verify_crc = i % 2;
        mdm_model *m = NULL;
        mdm_status st = mdm_model_open_memory(c, model_size, &p, &m, err, sizeof err);
        CHECKF(known_status(st), "flip %d: status %d", i, st);
        CHECKF((st == MDM_OK) == (m != NULL), "flip %d: handle and status disagree", i);
        if (st == MDM_OK) {
            opened++;
            mdm_model_info info;
            mdm_model_get_info(m, &info);
            CHECK(info.d_model == 32 && mdm_model_n_tensors(m) == 63);
        } else {
            CHECKF(err[0], "flip %d: no message", i);
        }
        if (p.verify_crc && min_pos >= data_offset && st != MDM_ERR_CRC)
            in_data_wrong++;
        mdm_model_free(m);
    }
    CHECKF(in_data_wrong == 0, "%d flips in the data section not caught by the CRC",
           in_data_wrong);
    CHECK(opened < 6000);
    free(c);
}

/* ---- model-level checks on edited headers (valid CRC) ---- */
static void patch_str(uint8_t *b, size_t n, const char *from, const char *to) {
    size_t at = find_gguf_str(b, n, from);
    CHECKF(at != (size_t)-1 && strlen(from) == strlen(to), "no \"%s\"", from);
    if (at != (size_t)-1)
        memcpy(b + at + 8, to, strlen(to));
}

#define EXPECT_MODEL(buf, want, crc)                                                        \
    do {                                                                                    \
        char e_[256];                                                                       \
        mdm_status got_ = open_copy(buf, model_size, crc, e_, sizeof e_);                   \
        CHECKF(got_ == (want), "line %d: got \"%s\", want %s", __LINE__, e_,                \
               mdm_strerror(want));                                                         \
    } while (0)

static void header_edits(void) {
    uint8_t *c = malloc(model_size);
    size_t at;
#define RESET() memcpy(c, model, model_size)
    RESET();
    patch_str(c, model_size, "backbone.norm_f.weight", "backbone.norm_g.weight");
    EXPECT_MODEL(c, MDM_ERR_MISSING_TENSOR, 1);
    RESET();
    patch_str(c, model_size, "mdm.d_model", "mdm.d_modem");
    EXPECT_MODEL(c, MDM_ERR_MISSING_KEY, 1);
    RESET();
    at = find_gguf_str(c, model_size, "mdm.d_model");
    put_u32(c + at + 8 + 11, MDM_GGUF_INT32);
    EXPECT_MODEL(c, MDM_ERR_BAD_KEY_TYPE, 1);
    RESET();
    at = find_gguf_str(c, model_size, "mdm.expand");
    put_u32(c + at + 8 + 10 + 4, 0);
    EXPECT_MODEL(c, MDM_ERR_BAD_VALUE, 1);
    RESET();
    at = find_gguf_str(c, model_size, "mdm.d_model");
    put_u32(c + at + 8 + 11 + 4, 64); /* tensors no longer match */
    EXPECT_MODEL(c, MDM_ERR_BAD_SHAPE, 1);
    RESET();
    at = find_gguf_str(c, model_size, "mdm.format_version");
    put_u32(c + at + 8 + 18 + 4, 2);
    EXPECT_MODEL(c, MDM_ERR_BAD_FORMAT_VERSION, 1);
    RESET();
    at = find_gguf_str(c, model_size, "general.architecture");
    patch_str(c + at + 8 + 20 + 4, model_size - at - 32, "mdm", "mdx");
    EXPECT_MODEL(c, MDM_ERR_BAD_ARCH, 1);
    RESET();
    patch_str(c, model_size, "silu", "silx");
    EXPECT_MODEL(c, MDM_ERR_BAD_VALUE, 1);
    RESET();
    patch_str(c, model_size, "mdm-unigram", "mdm-bigram!");
    EXPECT_MODEL(c, MDM_ERR_BAD_VOCAB, 1);
    RESET();
    at = find_gguf_str(c, model_size, "tokenizer.ggml.eos_token_id");
    put_u32(c + at + 8 + 27 + 4, 16);
    EXPECT_MODEL(c, MDM_ERR_BAD_VOCAB, 1);
    RESET();
    at = find_gguf_str(c, model_size, "mdm.data_crc32");
    c[at + 8 + 14 + 4] ^= 1;
    EXPECT_MODEL(c, MDM_ERR_CRC, 1);
    EXPECT_MODEL(c, MDM_OK, 0); /* unchecked when asked not to */
    RESET();
    c[model_size - 1] ^= 0x80; /* padding after the last tensor is covered too */
    EXPECT_MODEL(c, MDM_ERR_CRC, 1);
    free(c);
}

/* Files written through the converter with an edited tensor list. */
static void drop_one(cv_source *s, mdm_tensor_spec *t, size_t *n) {
    (void)s;
    memmove(&t[3], &t[4], (*n - 4) * sizeof *t); /* embed.text_pos */
    (*n)--;
}
static void add_one(cv_source *s, mdm_tensor_spec *t, size_t *n) {
    (void)s;
    t[*n] = t[*n - 1]; /* spare room: 63 tensors in a list of capacity 64 */
    strcpy(t[*n].name, "vae.decoder.99.bias");
    (*n)++;
}
static void reshape_one(cv_source *s, mdm_tensor_spec *t, size_t *n) {
    (void)s, (void)n;
    t[1].ne[0] = 33; /* embed.image.bias */
}
static void quantize_norm(cv_source *s, mdm_tensor_spec *t, size_t *n) {
    (void)s;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].name, "backbone.layers.0.mixer.D") == 0)
            t[i].tclass = MDM_TCLASS_QUANT; /* 64 values: q8_0 would be allowed by size */
}

static void tensor_list_edits(void) {
    struct {
        void (*edit)(cv_source *, mdm_tensor_spec *, size_t *);
        mdm_status want;
    } cases[] = {{drop_one, MDM_ERR_MISSING_TENSOR},
                 {add_one, MDM_ERR_BAD_TENSOR_NAME},
                 {reshape_one, MDM_ERR_BAD_SHAPE},
                 {quantize_norm, MDM_ERR_BAD_TENSOR_TYPE}};
    for (int i = 0; i < 4; i++) {
        uint8_t *b;
        size_t n;
        char err[256];
        CHECK(build_model("micro", 1, MDM_TYPE_Q8_0, cases[i].edit, &b, &n) == MDM_OK);
        mdm_status st = open_copy(b, n, 1, err, sizeof err);
        CHECKF(st == cases[i].want, "case %d: \"%s\", want %s", i, err,
               mdm_strerror(cases[i].want));
        free(b);
    }
}

static void buffer_rules(void) {
    mdm_model *m = (mdm_model *)1;
    char err[128];
    CHECK(mdm_model_open_memory(NULL, 10, NULL, &m, err, sizeof err) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_model_open_memory(model + 1, model_size - 1, NULL, &m, err, sizeof err) ==
          MDM_ERR_MISALIGNED);
    CHECK(m == NULL);
    CHECK(mdm_model_open_memory(model, 0, NULL, &m, NULL, 0) == MDM_ERR_TRUNCATED);
    CHECK(mdm_model_open_file("/nonexistent/x.gguf", NULL, &m, err, sizeof err) == MDM_ERR_IO);
    CHECK(strstr(err, "/nonexistent/x.gguf") != NULL);
    CHECK(mdm_model_open_file("/", NULL, &m, err, sizeof err) == MDM_ERR_IO);
    mdm_model_free(NULL);
}

int main(void) {
    RUN(crafted_header);
    RUN(crafted_kv);
    RUN(crafted_tensors);
    if (build_model("micro", 7, MDM_TYPE_Q8_0, NULL, &model, &model_size) != MDM_OK) {
        printf("FAIL build_model\n");
        return 1;
    }
    RUN(model_layout);
    RUN(truncation_every_byte);
    RUN(bit_flips);
    RUN(header_edits);
    RUN(tensor_list_edits);
    RUN(buffer_rules);
    free(model);
    CHECK_EXIT();
}
