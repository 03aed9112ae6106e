/* What a bare-metal build relies on, checked on the host: a model opened
 * with the caller's allocator (and never the port's heap), a buffer that is
 * only MDM_MODEL_ALIGN-byte aligned, and the library's own formatter
 * (src/fmt.c) against the C library's snprintf. */
#include "check.h"
#include "fmt.h"
#include "kernels/dispatch.h"
#include "mdm_rt.h"
#include <math.h>
#include <inttypes.h>
#include <string.h>

#define MODEL "models/mdm-fmnist-q4_0.gguf"

static unsigned char *file, *data; /* data: the file's bytes at 8 mod 16 */
static size_t file_size;

static int load(void) {
    FILE *f = fopen(MODEL, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 16 spare bytes: the copy is placed at 8 mod 16 (malloc gives 8 or 16) */
    if (n > 0 && (file = malloc((size_t)n + 16)) &&
        (data = file + (24 - (uintptr_t)file % 16) % 16) &&
        fread(data, 1, (size_t)n, f) == (size_t)n)
        file_size = (size_t)n;
    fclose(f);
    return file_size != 0;
}

/* A bump allocator over a static pool that counts calls and frees. */
static unsigned char pool[256 * 1024] __attribute__((aligned(16)));
typedef struct {
    size_t used, peak;
    int allocs, frees;
} bump;

static void *bump_alloc(void *user, size_t n) {
    bump *b = user;
    size_t at = (b->used + 15) & ~(size_t)15;
    if (at > sizeof pool || n > sizeof pool - at)
        return NULL;
    b->used = at + n;
    b->allocs++;
    return pool + at;
}

static void bump_free(void *user, void *p) {
    bump *b = user;
    CHECK((unsigned char *)p >= pool && (unsigned char *)p < pool + sizeof pool);
    b->frees++;
}

/* The pixels of a 2-step image from a model, or all 0 on failure. */
static void image_of(mdm_model *m, uint8_t *px, size_t n) {
    memset(px, 0, n);
    mdm_ctx_params cp = mdm_ctx_params_init();
    cp.kernels = "scalar";
    mdm_ctx *c;
    CHECK(mdm_ctx_create(m, &cp, NULL, 0, &c) == MDM_OK);
    mdm_gen_params g = mdm_gen_params_init();
    g.steps = 2, g.seed = 5;
    CHECK(mdm_text_to_image(c, "a photo of a bag", 16, &g, px, n) == MDM_OK);
    mdm_ctx_free(c);
}

static void open_with_allocator(void) {
    CHECK((uintptr_t)data % 16 == 8); /* 8-byte, not 16-byte, aligned */
    bump b = {0};
    mdm_model_params p = mdm_model_params_init();
    CHECK(p.alloc == NULL && p.free == NULL && p.alloc_user == NULL);
    p.alloc = bump_alloc, p.free = bump_free, p.alloc_user = &b;
    char err[256];
    mdm_model *m = NULL;
    CHECKF(mdm_model_open_memory(data, file_size, &p, &m, err, sizeof err) == MDM_OK, "%s", err);
    CHECK(b.allocs > 0 && b.used > 0);
    printf("  model tables from the caller's allocator: %d blocks, %zu bytes\n", b.allocs, b.used);
    /* the same model through the port's heap gives the same image */
    mdm_model *m2 = NULL;
    CHECK(mdm_model_open_memory(data, file_size, NULL, &m2, err, sizeof err) == MDM_OK);
    static uint8_t a[4096], c[4096];
    if (m && m2) {
        mdm_model_info info;
        mdm_model_get_info(m, &info);
        size_t n = (size_t)info.image_size * info.image_size * info.image_channels;
        CHECK(n <= sizeof a);
        image_of(m, a, n);
        image_of(m2, c, n);
        CHECK(memcmp(a, c, n) == 0);
    }
    mdm_model_free(m);
    mdm_model_free(m2);
    CHECKF(b.frees == b.allocs, "%d frees for %d blocks", b.frees, b.allocs);
}

static void allocator_runs_out(void) {
    /* every pool size short of the need fails cleanly with NO_MEMORY */
    bump b = {0};
    mdm_model_params p = mdm_model_params_init();
    p.alloc = bump_alloc, p.alloc_user = &b; /* free NULL: a bump allocator */
    mdm_model *m = NULL;
    char err[256];
    CHECK(mdm_model_open_memory(data, file_size, &p, &m, err, sizeof err) == MDM_OK);
    size_t need = b.used;
    mdm_model_free(m);
    for (size_t used = sizeof pool - need + 1; used < sizeof pool; used += 997) {
        b.used = used; /* leaves less than need */
        m = (mdm_model *)1;
        mdm_status st = mdm_model_open_memory(data, file_size, &p, &m, err, sizeof err);
        CHECKF(st == MDM_ERR_NO_MEMORY && m == NULL, "%zu bytes left: %s", sizeof pool - used,
               mdm_strerror(st));
    }
}

static void alignment_rule(void) {
    mdm_model *m = (mdm_model *)1;
    char err[128];
    for (int off = 1; off < MDM_MODEL_ALIGN; off++)
        CHECK(mdm_model_open_memory(data + off, file_size - (size_t)off, NULL, &m, err,
                                    sizeof err) == MDM_ERR_MISALIGNED &&
              m == NULL);
}

/* mdm_fmt against snprintf on the conversions the library uses. */
#define SAME(...)                                                                        \
    do {                                                                                 \
        char want[128], got[128];                                                       \
        int nw = snprintf(want, sizeof want, __VA_ARGS__);                              \
        int ng = mdm_fmt(got, sizeof got, __VA_ARGS__);                                 \
        CHECKF(nw == ng && strcmp(want, got) == 0, "\"%s\" (%d) vs \"%s\" (%d)", want, nw, \
               got, ng);                                                                 \
    } while (0)

static void formatter(void) {
    SAME("%s = %d, need %d..%d", "mdm.d_model", -5, 1, 8192);
    SAME("%u %x %08x %X", 0u, 3054u, 0xbeefu, 0xABCDu);
    SAME("%llu %lld %zu", 18446744073709551615ull, -9223372036854775807ll - 1, (size_t)12345);
    SAME("%" PRIu32 " %" PRIx32 " %" PRId32, (uint32_t)4000000000u, (uint32_t)0xdeadbeefu,
         (int32_t)-7);
    SAME("[%5d|%-5d|%05d|%-3s|%3s|%.2s]", 42, 42, -42, "a", "b", "xyz");
    SAME("%c%%%s", 'q', "");
    const double g[] = {0.0, 1.0, -2.5, 1e-5, 123456.0, 1234567.0, 0.1, 3.14159265, 1e20, 1e-20,
                        99999.4, 65504.0};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        SAME("%g", g[i]);
    char small[4];
    CHECK(mdm_fmt(small, sizeof small, "%s", "abcdef") == 6 && strcmp(small, "abc") == 0);
    CHECK(mdm_fmt(NULL, 0, "%d", 12345) == 5);
}

/* The tiled set's conv2d against the scalar set's, bit for bit: odd sizes,
 * both strides, row ranges, signed zeros and infinities in the input. */
static uint32_t rng = 12345;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static void tiled_conv_bits(void) {
    static float x[16 * 13 * 11], wf[8 * 16 * 9], bias[8], y0[8 * 13 * 11], y1[8 * 13 * 11];
    static float ws[16 * 9 + 64];
    const int sizes[][4] = {{1, 1, 1, 1}, {3, 2, 5, 7}, {16, 8, 13, 11}, {4, 3, 2, 9},
                            {5, 8, 9, 4}, {2, 1, 3, 3}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int ci = sizes[si][0], co = sizes[si][1], h = sizes[si][2], w = sizes[si][3];
        for (int i = 0; i < ci * h * w; i++)
            x[i] = frand() * 4.0f;
        x[0] = -0.0f, x[ci * h * w - 1] = (si == 3) ? INFINITY : -0.0f;
        for (int i = 0; i < co * ci * 9; i++)
            wf[i] = frand();
        for (int i = 0; i < co; i++)
            bias[i] = (i % 2) ? -0.0f : frand();
        mdm_tensor wt = {wf, MDM_TYPE_F32, {ci * 9, co, 1, 1}, 2, (size_t)co * ci * 9 * 4};
        for (int stride = 1; stride <= 2; stride++) {
            const int oh = (h - 1) / stride + 1, n = co * oh * ((w - 1) / stride + 1);
            for (int split = 0; split <= oh; split += oh > 2 ? oh / 2 : 1) {
                memset(y0, 0x7f, sizeof y0), memset(y1, 0x7f, sizeof y1);
                mdm_kernels_scalar.conv2d(y0, x, &wt, bias, ci, co, h, w, stride, ws, 0, oh);
                mdm_kernels_tiled.conv2d(y1, x, &wt, bias, ci, co, h, w, stride, ws, 0, split);
                mdm_kernels_tiled.conv2d(y1, x, &wt, bias, ci, co, h, w, stride, ws, split, oh);
                CHECKF(memcmp(y0, y1, (size_t)n * sizeof(float)) == 0,
                       "ci %d co %d %dx%d stride %d split %d", ci, co, h, w, stride, split);
            }
        }
    }
}

/* Whole VAE calls and a denoiser forward of the demo model: tiled and
 * scalar give the same bits. */
static void tiled_vae_bits(void) {
    mdm_model *m;
    char err[256];
    CHECK(mdm_model_open_memory(data, file_size, NULL, &m, err, sizeof err) == MDM_OK);
    mdm_ctx *c[2];
    const char *names[2] = {"scalar", "tiled"};
    static float lat[2][4096];
    static uint8_t px[2][4096], in[4096];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 37 % 251);
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    size_t n = (size_t)info.image_size * info.image_size * info.image_channels;
    for (int s = 0; s < 2; s++) {
        mdm_ctx_params p = mdm_ctx_params_init();
        p.kernels = names[s];
        CHECK(mdm_ctx_create(m, &p, NULL, 0, &c[s]) == MDM_OK);
        CHECK(strcmp(mdm_ctx_kernels(c[s]), names[s]) == 0);
        CHECK(mdm_encode_image(c[s], in, n, lat[s]) == MDM_OK);
        CHECK(mdm_decode_latent(c[s], lat[0], px[s], n) == MDM_OK);
        mdm_ctx_free(c[s]);
    }
    size_t nl = (size_t)info.latent_channels * (info.image_size / info.vae_factor) *
                (info.image_size / info.vae_factor);
    CHECK(memcmp(lat[0], lat[1], nl * sizeof(float)) == 0);
    CHECK(memcmp(px[0], px[1], n) == 0);
    /* a denoiser forward (every matmul shape of the model), text and image outputs */
    const size_t nv = (size_t)16 * (info.vocab_size + 1);
    static float v[2][4096], sc[2][16 * 1024];
    int32_t tok[16] = {0};
    CHECK(info.text_len == 16 && nv <= sizeof sc[0] / sizeof(float) && nl <= 4096);
    const float ti = 0.7f, tt = 0.4f;
    const int32_t task = 3;
    for (int s = 0; s < 2; s++) {
        mdm_ctx_params p = mdm_ctx_params_init();
        p.kernels = names[s];
        CHECK(mdm_ctx_create(m, &p, NULL, 0, &c[s]) == MDM_OK);
        CHECK(mdm_denoise(c[s], 1, lat[0], tok, &ti, &tt, &task, v[s], sc[s]) == MDM_OK);
        mdm_ctx_free(c[s]);
    }
    CHECK(memcmp(v[0], v[1], nl * sizeof(float)) == 0);
    CHECK(memcmp(sc[0], sc[1], nv * sizeof(float)) == 0);
    mdm_model_free(m);
}

int main(void) {
    RUN(tiled_conv_bits);
    RUN(formatter);
    if (!load()) {
        SKIP("open_with_allocator", MODEL " not readable");
        CHECK_EXIT();
    }
    RUN(open_with_allocator);
    RUN(allocator_runs_out);
    RUN(alignment_rule);
    RUN(tiled_vae_bits);
    free(file);
    CHECK_EXIT();
}
