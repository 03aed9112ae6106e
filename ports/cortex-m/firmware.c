/* Example firmware: the q4_0 demo model from flash, a context in a static
 * arena, a caption of an embedded image and a text-to-image, results and
 * costs over semihosting as "key: value" lines (tests/suites/firmware.sh
 * compares them with the host CLI).  No heap: the model's tables come from
 * a bump allocator over a static pool. */
#include "board.h"
#include "mdm_rt.h"
#include "semihost.h"
#include <string.h>

#ifndef FW_POOL_BYTES
#define FW_POOL_BYTES (400u * 1024u)
#endif

extern const unsigned char fw_model_start[], fw_model_end[], fw_image_start[], fw_image_end[];
extern const char __code_start[], __code_end[], __data_start[], __data_end[], __bss_start[],
    __bss_end[];

/* ---- output ------------------------------------------------------------ */

static void put_u64(char *buf, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *buf++ = tmp[--n];
    *buf = '\0';
}

static void kv(const char *key, const char *value) {
    sh_write(key);
    sh_write(": ");
    sh_write(value);
    sh_write("\n");
}

static void kv_u64(const char *key, uint64_t v) {
    char buf[24];
    put_u64(buf, v);
    kv(key, buf);
}

/* guidance as d.ddd (it is a build-time constant with few decimals) */
static void kv_milli(const char *key, int milli) {
    char buf[32], *p = buf;
    if (milli < 0)
        *p++ = '-', milli = -milli;
    put_u64(p, (uint64_t)(milli / 1000));
    p += strlen(p);
    *p++ = '.';
    for (int d = 100; d >= 1; d /= 10)
        *p++ = (char)('0' + milli / d % 10);
    *p = '\0';
    kv(key, buf);
}

static int fail(const char *what, mdm_status st) {
    kv("error", what);
    kv("status", mdm_strerror(st));
    return 1;
}

/* ---- memory: one static pool, model tables first, then the context ----- */

static unsigned char pool[FW_POOL_BYTES] __attribute__((aligned(64)));
typedef struct {
    size_t used;
} bump;

static void *bump_alloc(void *user, size_t n) {
    bump *b = user;
    size_t at = (b->used + 15) & ~(size_t)15;
    if (at > sizeof pool || n > sizeof pool - at)
        return NULL;
    b->used = at + n;
    return pool + at;
}

/* ---- the input image: a binary PGM (P5) of the model's size ------------ */

static const unsigned char *pgm_pixels(size_t want) {
    const unsigned char *p = fw_image_start, *end = fw_image_end;
    int newlines = 0;
    if (end - p < 2 || p[0] != 'P' || p[1] != '5')
        return NULL;
    while (p < end && newlines < 3) /* "P5\nW H\n255\n" */
        newlines += *p++ == '\n';
    return (size_t)(end - p) == want ? p : NULL;
}

int main(void) {
    fw_clock_start();
    kv("board", FW_BOARD);
    extern uint64_t fw_clock_ticks_per_cal;
    kv_u64("clock_calibration_ticks", fw_clock_ticks_per_cal);
    kv("model", FW_MODEL_NAME);
    extern void fw_kcheck(void (*)(const char *, uint64_t));
    fw_kcheck(kv_u64); /* the helium set's vector math against libm (kcheck.c) */

    mdm_model_params mp = mdm_model_params_init();
    bump heap = {0};
    mp.alloc = bump_alloc;
    mp.alloc_user = &heap;
    mdm_model *m;
    char err[160];
    uint64_t t0 = fw_instructions();
    mdm_status st = mdm_model_open_memory(fw_model_start, (size_t)(fw_model_end - fw_model_start),
                                          &mp, &m, err, sizeof err);
    if (st != MDM_OK)
        return fail(err, st);
    kv_u64("instructions_open", fw_instructions() - t0);
    fw_profile_dump("open");
    const size_t tables = heap.used;

    mdm_ctx_params cp = mdm_ctx_params_init();
    cp.kernels = FW_KERNELS;
    cp.max_text_bytes = 256;
    size_t need = mdm_ctx_size(m, &cp);
    size_t at = (tables + 63) & ~(size_t)63;
    if (need == 0 || need > sizeof pool - at) { /* a bigger model: raise FW_POOL_BYTES */
        kv_u64("pool_bytes", sizeof pool);
        kv_u64("pool_needed_bytes", at + need);
        return fail("context does not fit the pool (FW_POOL_BYTES)", MDM_ERR_BUFFER_TOO_SMALL);
    }
    mdm_ctx *ctx;
    if ((st = mdm_ctx_create(m, &cp, pool + at, need, &ctx)) != MDM_OK)
        return fail("context", st);
    kv("kernels", mdm_ctx_kernels(ctx));

    mdm_model_info info;
    mdm_model_get_info(m, &info);
    const size_t n_px = (size_t)info.image_size * info.image_size * info.image_channels;
    static uint8_t pixels[4096];
    if (n_px > sizeof pixels)
        return fail("image larger than the firmware's buffer", MDM_ERR_INTERNAL);

    /* caption of the embedded image */
    const unsigned char *img = pgm_pixels(n_px);
    if (!img)
        return fail("embedded image is not a PGM of the model's size", MDM_ERR_BAD_IMAGE);
    mdm_gen_params g = mdm_gen_params_init();
    g.seed = FW_SEED;
    g.text_steps = FW_TEXT_STEPS;
    static char text[512];
    if (mdm_ctx_text_cap(ctx) > sizeof text)
        return fail("text buffer", MDM_ERR_INTERNAL);
    t0 = fw_instructions();
    if ((st = mdm_caption(ctx, img, n_px, &g, text, sizeof text, NULL)) != MDM_OK)
        return fail("caption", st);
    uint64_t caption_insn = fw_instructions() - t0;
    fw_profile_dump("caption");
    kv("image", FW_IMAGE_NAME);
    kv_u64("text_steps", (uint64_t)g.text_steps);
    kv("caption", text);
    kv_u64("instructions_caption", caption_insn);

    /* text-to-image */
    g.steps = FW_STEPS;
    g.guidance = (float)FW_GUIDANCE_MILLI / 1000.0f;
    const char *prompt = FW_PROMPT;
    t0 = fw_instructions();
    if ((st = mdm_text_to_image(ctx, prompt, strlen(prompt), &g, pixels, n_px)) != MDM_OK)
        return fail("text_to_image", st);
    uint64_t t2i_insn = fw_instructions() - t0;
    fw_profile_dump("text_to_image");
    kv("prompt", prompt);
    kv_u64("seed", g.seed);
    kv_u64("steps", (uint64_t)g.steps);
    kv_milli("guidance", FW_GUIDANCE_MILLI);
    sh_write("image_hex: "); /* in pieces: no buffer for the whole line */
    for (size_t i = 0; i < n_px; i += 32) {
        char hex[2 * 32 + 1], *p = hex;
        for (size_t j = i; j < n_px && j < i + 32; j++) {
            *p++ = "0123456789abcdef"[pixels[j] >> 4];
            *p++ = "0123456789abcdef"[pixels[j] & 15];
        }
        *p = '\0';
        sh_write(hex);
    }
    sh_write("\n");
    kv_u64("instructions_text_to_image", t2i_insn);

    /* memory */
    size_t total, scratch, peak;
    mdm_ctx_memory(ctx, &total, &scratch, &peak);
    kv_u64("model_tables_bytes", tables);
    kv_u64("ctx_bytes", total);
    kv_u64("ctx_scratch_peak_bytes", peak);
    kv_u64("pool_bytes", sizeof pool);
    kv_u64("pool_used_bytes", at + total);
    const size_t statics = (size_t)(__data_end - __data_start) + (size_t)(__bss_end - __bss_start);
    const size_t stack = fw_stack_peak();
    kv_u64("stack_peak_bytes", stack);
    kv_u64("ram_bytes", statics + stack);
    kv_u64("flash_bytes", (size_t)(__code_end - __code_start) +
                              (size_t)(fw_model_end - fw_model_start) +
                              (size_t)(fw_image_end - fw_image_start));
    mdm_ctx_free(ctx);
    mdm_model_free(m);
    return 0;
}
