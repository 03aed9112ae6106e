/* The library's ABI promises (mdm_rt.h): the version the library reports is
 * the header's, and parameter structs of other sizes (an older or a newer
 * caller) are read field by field over the defaults. */
#include "check.h"
#include "mdm_rt.h"
#include "test_runtime_util.h"
#include <stddef.h>
#include <string.h>

static void test_version(void) {
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", MDM_VERSION_MAJOR, MDM_VERSION_MINOR,
             MDM_VERSION_PATCH);
    CHECKF(mdm_version() == MDM_VERSION_NUMBER, "mdm_version %d", mdm_version());
    CHECKF(strcmp(mdm_version_string(), want) == 0, "%s vs %s", mdm_version_string(), want);
    CHECK(strcmp(MDM_VERSION_STRING, want) == 0);
}

/* The init sets struct_size to the caller's sizeof; defaults for a shorter
 * struct fill only its bytes. */
static void test_defaults_sized(void) {
    mdm_gen_params g = mdm_gen_params_init();
    CHECK(g.struct_size == sizeof g && g.steps == 20 && g.guidance == 1.0f);
    unsigned char buf[sizeof(mdm_gen_params) + 16];
    memset(buf, 0xAB, sizeof buf);
    const size_t old = offsetof(mdm_gen_params, sampler); /* a caller that knew struct_size, steps */
    mdm_gen_params_defaults((mdm_gen_params *)buf, old);
    size_t got;
    memcpy(&got, buf, sizeof got);
    CHECKF(got == old, "struct_size %zu", got);
    CHECK(buf[old] == 0xAB); /* nothing written past the caller's struct */
    int steps;
    memcpy(&steps, buf + offsetof(mdm_gen_params, steps), sizeof steps);
    CHECK(steps == 20);
    mdm_ctx_params c = mdm_ctx_params_init();
    CHECK(c.struct_size == sizeof c && c.n_threads == 1 && c.max_text_bytes == 4096);
    mdm_model_params m = mdm_model_params_init();
    CHECK(m.struct_size == sizeof m && m.verify_crc == 1);
}

/* A context params struct as an older caller (shorter), a newer caller
 * (longer, extra fields zero or not) and a caller that skipped the init. */
static void test_ctx_params_sizes(void) {
    size_t size = 0;
    uint8_t *file = golden_model(MDM_TYPE_F32, &size);
    mdm_model *m = NULL;
    char err[256];
    CHECK(file && mdm_model_open_memory(file, size, NULL, &m, err, sizeof err) == MDM_OK);
    if (!m) {
        free(file);
        return;
    }
    const size_t want = mdm_ctx_size(m, NULL);
    CHECK(want > 0);
    struct {
        mdm_ctx_params p;
        uint64_t extra[2];
    } big;
    memset(&big, 0, sizeof big);
    big.p = mdm_ctx_params_init();
    big.p.struct_size = sizeof big;
    CHECKF(mdm_ctx_size(m, &big.p) == want, "longer struct, zero tail");
    mdm_ctx *ctx = NULL;
    CHECK(mdm_ctx_create(m, &big.p, NULL, 0, &ctx) == MDM_OK);
    mdm_ctx_free(ctx);
    big.extra[1] = 7; /* a field this library does not know, not at its default */
    CHECK(mdm_ctx_size(m, &big.p) == 0);
    CHECK(mdm_ctx_create(m, &big.p, NULL, 0, &ctx) == MDM_ERR_UNSUPPORTED && !ctx);
    /* An older caller that knew only struct_size and max_text_bytes: its
     * n_threads bytes hold garbage the library must not read. */
    mdm_ctx_params small = mdm_ctx_params_init();
    small.struct_size = offsetof(mdm_ctx_params, n_threads);
    small.n_threads = -5;
    CHECK(mdm_ctx_size(m, &small) == want);
    CHECK(mdm_ctx_create(m, &small, NULL, 0, &ctx) == MDM_OK);
    mdm_ctx_free(ctx);
    mdm_ctx_params zero;
    memset(&zero, 0, sizeof zero);
    CHECK(mdm_ctx_create(m, &zero, NULL, 0, &ctx) == MDM_ERR_INVALID_ARG && !ctx);
    /* Generation params: a newer caller with an unknown field set. */
    mdm_gen_params g = mdm_gen_params_init();
    g.struct_size = sizeof g + 8;
    struct {
        mdm_gen_params g;
        uint64_t extra;
    } gbig = {g, 1};
    uint8_t px[4096];
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    const size_t n = (size_t)info.image_size * info.image_size * info.image_channels;
    CHECK(n <= sizeof px);
    CHECK(mdm_ctx_create(m, NULL, NULL, 0, &ctx) == MDM_OK);
    if (ctx && n <= sizeof px)
        CHECK(mdm_text_to_image(ctx, "a bag", 5, &gbig.g, px, n) == MDM_ERR_UNSUPPORTED);
    mdm_ctx_free(ctx);
    /* Model params: 0 is refused with a message. */
    mdm_model_params mp;
    memset(&mp, 0, sizeof mp);
    mdm_model *m2 = NULL;
    CHECK(mdm_model_open_memory(file, size, &mp, &m2, err, sizeof err) == MDM_ERR_INVALID_ARG);
    CHECK(!m2 && strstr(err, "struct_size"));
    mdm_model_free(m);
    free(file);
}

int main(void) {
    RUN(test_version);
    RUN(test_defaults_sized);
    RUN(test_ctx_params_sizes);
    CHECK_EXIT();
}
