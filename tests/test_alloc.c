/* Proves that nothing in the inference path allocates: this binary replaces
 * malloc and friends with counting wrappers over glibc's own allocator and
 * runs every call of the runtime between two readings of the counter.
 * Under AddressSanitizer (which owns malloc) the case is skipped; the
 * optimised build runs it. */
#include "check.h"
#include "test_runtime_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#if !defined(UNDER_ASAN) && defined(__GLIBC__)
/* glibc's allocator under its internal names. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t k);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);

static size_t n_alloc; /* test-only global: the counter itself */

void *malloc(size_t n) {
    n_alloc++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t k) {
    n_alloc++;
    return __libc_calloc(n, k);
}
void *realloc(void *p, size_t n) {
    n_alloc++;
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t align, size_t n) {
    n_alloc++;
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
    n_alloc++;
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12; /* ENOMEM */
}
#define COUNTING 1
#endif

#ifdef COUNTING
static mdm_model *M;

/* Every runtime call once, CFG and Heun included. */
static int run_everything(mdm_ctx *c, uint8_t *px, size_t npix) {
    mdm_model_info I;
    mdm_model_get_info(M, &I);
    const int Lt = I.text_len;
    int32_t ids[2 * 64];
    float lat[2 * 256], v[2 * 256], s[2 * 64 * 129], ti[2] = {0.3f, 0.3f}, tt[2] = {0.0f, 1.0f};
    int32_t task[2] = {0, 0};
    char text[512];
    size_t n;
    mdm_gen_params p = mdm_gen_params_init();
    p.steps = 3, p.text_steps = 3, p.guidance = 2.0f, p.sampler = MDM_SAMPLER_HEUN;
    int ok = Lt <= 64 && (size_t)Lt * (I.vocab_size + 1) <= 64 * 129;
    ok = ok && mdm_tokenize(c, "a photo of a bag", 16, ids, &n) == MDM_OK;
    ok = ok && mdm_detokenize(c, ids, (size_t)Lt, text, sizeof text, &n) == MDM_OK;
    ok = ok && mdm_text_to_image(c, "a bag", 5, &p, px, npix) == MDM_OK;
    ok = ok && mdm_encode_image(c, px, npix, lat) == MDM_OK;
    ok = ok && mdm_decode_latent(c, lat, px, npix) == MDM_OK;
    memcpy(lat + 256, lat, sizeof lat / 2);
    memcpy(ids + Lt, ids, (size_t)Lt * sizeof *ids);
    ok = ok && mdm_denoise(c, 2, lat, ids, ti, tt, task, v, s) == MDM_OK;
    ok = ok && mdm_caption(c, px, npix, &p, text, sizeof text, &n) == MDM_OK;
    ok = ok && mdm_vqa(c, px, npix, "is this a bag?", 14, &p, text, sizeof text, &n) == MDM_OK;
    ok = ok && mdm_joint(c, &p, px, npix, text, sizeof text, &n) == MDM_OK;
    return ok;
}

static void test_no_allocation_after_create(void) {
    mdm_model_info I;
    mdm_model_get_info(M, &I);
    size_t npix = (size_t)I.image_size * I.image_size * I.image_channels;
    uint8_t *px = malloc(npix);
    mdm_ctx *c;
    size_t before = n_alloc;
    CHECK(mdm_ctx_create(M, NULL, NULL, 0, &c) == MDM_OK);
    CHECKF(n_alloc - before == 1, "mdm_ctx_create(buffer NULL) allocated %zu times", n_alloc - before);
    before = n_alloc;
    int ok = run_everything(c, px, npix);
    size_t during = n_alloc - before;
    CHECK(ok);
    CHECKF(during == 0, "%zu allocations after mdm_ctx_create", during);
    mdm_ctx_free(c);
    /* With a caller buffer, creation allocates nothing either. */
    size_t size = mdm_ctx_size(M, NULL);
    void *buf = malloc(size);
    before = n_alloc;
    ok = mdm_ctx_create(M, NULL, buf, size, &c) == MDM_OK && run_everything(c, px, npix);
    during = n_alloc - before;
    CHECK(ok);
    CHECKF(during == 0, "%zu allocations with a caller buffer", during);
    mdm_ctx_free(c);
    free(buf);
    free(px);
}
#endif

int main(void) {
#ifndef COUNTING
    SKIP("test_no_allocation_after_create", "allocator owned by a sanitizer (or not glibc)");
    (void)check_failed_case, (void)check_failures_total;
    return 0;
#else
    size_t size;
    uint8_t *file = golden_model(MDM_TYPE_Q8_0, &size);
    char err[256];
    if (!file || mdm_model_open_memory(file, size, NULL, &M, err, sizeof err) != MDM_OK) {
        printf("FAIL setup: golden model unusable\n");
        return 1;
    }
    RUN(test_no_allocation_after_create);
    mdm_model_free(M);
    free(file);
    CHECK_EXIT();
#endif
}
