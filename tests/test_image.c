/* src/image: inflate/deflate, PNG and PNM in and out, conversion, resizing,
 * floats, and corruption (truncations and seeded byte flips never crash). */
#include "check.h"
#include "fuzz/png_check.h"
#include "image/image.h"
#include "image/zlib.h"
#include <math.h>
#include <string.h>

#define DATA_DIR "tests/data/images/"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64*, seeded per test */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static uint8_t *fixture(const char *name, const char *ext, size_t *n) {
    char path[256];
    snprintf(path, sizeof path, DATA_DIR "%s%s", name, ext);
    return read_file(path, n);
}

/* Encodes img as PNG into a malloc'd buffer through the size query. */
static uint8_t *encode_png(const mdm_image *img, size_t *n) {
    size_t need = 0;
    if (mdm_image_encode_png(img, NULL, 0, &need) != MDM_ERR_BUFFER_TOO_SMALL)
        return NULL;
    uint8_t *buf = malloc(need);
    if (buf && mdm_image_encode_png(img, buf, need, n) != MDM_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void random_image(mdm_image *img, int w, int h, int c, int noise) {
    CHECK(mdm_image_alloc(img, w, h, c) == MDM_OK);
    for (size_t i = 0; i < mdm_image_size(img); i++)
        img->pixels[i] = noise ? (uint8_t)rnd() : (uint8_t)((i / 7) * 3 + (rnd() % 4 == 0));
}

/* A bit writer for hand-made deflate streams. */
typedef struct {
    uint8_t b[512];
    size_t n;
    unsigned bit;
} bits;

static void put(bits *w, uint32_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (w->bit == 0)
            w->b[w->n++] = 0;
        w->b[w->n - 1] |= (uint8_t)(((v >> i) & 1) << w->bit);
        w->bit = (w->bit + 1) & 7;
    }
}

static mdm_status inflate_bits(const bits *w, uint8_t *out, size_t cap, size_t *len) {
    return mdm_image_inflate(w->b, w->n, out, cap, len, NULL);
}

/* ---- inflate ------------------------------------------------------------ */

static void inflate_stored_and_fixed(void) {
    uint8_t out[64];
    size_t len = 0, used = 0;
    static const uint8_t stored[] = {0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o', 0xee};
    CHECK(mdm_image_inflate(stored, sizeof stored, out, sizeof out, &len, &used) == MDM_OK);
    CHECK(len == 5 && memcmp(out, "hello", 5) == 0 && used == 10);
    CHECK(mdm_image_inflate(stored, sizeof stored, out, 4, &len, NULL) == MDM_ERR_BUFFER_TOO_SMALL);
    for (size_t cut = 0; cut < 10; cut++)
        CHECK(mdm_image_inflate(stored, cut, out, sizeof out, &len, NULL) == MDM_ERR_BAD_IMAGE);
    static const uint8_t nlen_bad[] = {0x01, 0x05, 0x00, 0xfa, 0xfe, 'h', 'e', 'l', 'l', 'o'};
    CHECK(mdm_image_inflate(nlen_bad, sizeof nlen_bad, out, 64, &len, NULL) == MDM_ERR_BAD_IMAGE);
    static const uint8_t btype3[] = {0x07, 0, 0, 0};
    CHECK(mdm_image_inflate(btype3, sizeof btype3, out, 64, &len, NULL) == MDM_ERR_BAD_IMAGE);

    /* Fixed code: 'a' (0x30+0x61 in 8 bits), then length 5 distance 1, EOB. */
    bits w = {{0}, 0, 0};
    put(&w, 1, 1);
    put(&w, 1, 2);
    put(&w, 0x89, 8); /* code 0x91 reversed: Huffman codes go MSB first */
    put(&w, 0x60, 7); /* symbol 259 (length 5) = code 0000011, reversed */
    put(&w, 0, 5);    /* distance code 0: distance 1 */
    put(&w, 0, 7);    /* end of block */
    CHECK(inflate_bits(&w, out, sizeof out, &len) == MDM_OK);
    CHECK(len == 6 && memcmp(out, "aaaaaa", 6) == 0);
    CHECK(inflate_bits(&w, out, 5, &len) == MDM_ERR_BUFFER_TOO_SMALL);
    /* Distance beyond the start of the output. */
    bits far = {{0}, 0, 0};
    put(&far, 1, 1);
    put(&far, 1, 2);
    put(&far, 0x40, 7); /* symbol 257: length 3 */
    put(&far, 0, 5);
    put(&far, 0, 7);
    CHECK(inflate_bits(&far, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    /* Length symbol 286 and distance symbol 30 exist in the fixed code only. */
    bits l286 = {{0}, 0, 0};
    put(&l286, 1, 1);
    put(&l286, 1, 2);
    put(&l286, 0x89, 8);
    put(&l286, 0x63, 8); /* 0xc6 = symbol 286, reversed */
    put(&l286, 0, 16);
    CHECK(inflate_bits(&l286, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    bits d30 = {{0}, 0, 0};
    put(&d30, 1, 1);
    put(&d30, 1, 2);
    put(&d30, 0x89, 8);
    put(&d30, 0x40, 7);
    put(&d30, 0x0f, 5); /* 11110 reversed */
    put(&d30, 0, 16);
    CHECK(inflate_bits(&d30, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
}

/* Dynamic block header: HLIT 257, HDIST 1, code-length code giving symbols
 * 1 and 18 one bit each (1 -> code 0, 18 -> code 1). */
static void dyn_header(bits *w, unsigned hlit) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                      11, 4, 12, 3, 13, 2, 14, 1, 15};
    put(w, 1, 1);
    put(w, 2, 2);
    put(w, hlit - 257, 5);
    put(w, 0, 5);
    put(w, 14, 4); /* 18 code lengths */
    for (int i = 0; i < 18; i++)
        put(w, order[i] == 1 || order[i] == 18 ? 1 : 0, 3);
}

static void zeros(bits *w, unsigned n) { /* symbol 18 runs */
    while (n) {
        unsigned k = n > 138 ? 138 : n;
        put(w, 1, 1);
        put(w, k - 11, 7);
        n -= k;
    }
}

static void inflate_dynamic(void) {
    uint8_t out[64];
    size_t len = 0;
    /* 'A' and end-of-block one bit each; one distance code of length 1. */
    bits w = {{0}, 0, 0};
    dyn_header(&w, 257);
    zeros(&w, 65);
    put(&w, 0, 1); /* 'A': length 1 */
    zeros(&w, 190);
    put(&w, 0, 1); /* 256: length 1 */
    put(&w, 0, 1); /* distance 0: length 1 (a lone code may be incomplete) */
    put(&w, 0, 3); /* A A A */
    put(&w, 1, 1); /* end of block */
    CHECK(inflate_bits(&w, out, sizeof out, &len) == MDM_OK);
    CHECK(len == 3 && memcmp(out, "AAA", 3) == 0);

    bits eob = {{0}, 0, 0}; /* lens[256] == 0 */
    dyn_header(&eob, 257);
    put(&eob, 0, 1);
    put(&eob, 0, 1);
    zeros(&eob, 256);
    CHECK(inflate_bits(&eob, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits over = {{0}, 0, 0}; /* three literal codes of length 1 */
    dyn_header(&over, 257);
    put(&over, 0, 1);
    put(&over, 0, 1);
    zeros(&over, 254);
    put(&over, 0, 1);
    put(&over, 0, 1);
    put(&over, 0, 8);
    CHECK(inflate_bits(&over, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits run = {{0}, 0, 0}; /* a zero run past HLIT + HDIST */
    dyn_header(&run, 257);
    zeros(&run, 138);
    zeros(&run, 138);
    CHECK(inflate_bits(&run, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits hlit = {{0}, 0, 0}; /* HLIT 287 and HDIST 31 are out of range */
    put(&hlit, 1, 1);
    put(&hlit, 2, 2);
    put(&hlit, 30, 5);
    put(&hlit, 0, 16);
    CHECK(inflate_bits(&hlit, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    bits hdist = {{0}, 0, 0};
    put(&hdist, 1, 1);
    put(&hdist, 2, 2);
    put(&hdist, 0, 5);
    put(&hdist, 31, 5);
    put(&hdist, 0, 16);
    CHECK(inflate_bits(&hdist, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits cl = {{0}, 0, 0}; /* code-length code over-subscribed: 4 codes of 1 bit */
    put(&cl, 1, 1);
    put(&cl, 2, 2);
    put(&cl, 0, 10);
    put(&cl, 0, 4);
    for (int i = 0; i < 4; i++)
        put(&cl, 1, 3);
    put(&cl, 0, 16);
    CHECK(inflate_bits(&cl, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits inc = {{0}, 0, 0}; /* code-length code incomplete: a lone 1-bit code */
    put(&inc, 1, 1);
    put(&inc, 2, 2);
    put(&inc, 0, 10);
    put(&inc, 0, 4);
    put(&inc, 0, 6);
    put(&inc, 1, 3); /* symbol 18 */
    put(&inc, 0, 3);
    put(&inc, 0, 16);
    CHECK(inflate_bits(&inc, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);

    bits rep = {{0}, 0, 0}; /* symbol 16 with no previous length */
    put(&rep, 1, 1);
    put(&rep, 2, 2);
    put(&rep, 0, 10);
    put(&rep, 0, 4);
    put(&rep, 1, 3); /* 16 */
    put(&rep, 0, 3);
    put(&rep, 0, 3);
    put(&rep, 1, 3); /* 0: so 0 -> code 0, 16 -> code 1 */
    put(&rep, 1, 1);
    put(&rep, 0, 16);
    CHECK(inflate_bits(&rep, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
}

static void zlib_wrapper(void) {
    uint8_t z[64], out[16];
    size_t len = 0;
    static const uint8_t raw[] = {0x01, 0x03, 0x00, 0xfc, 0xff, 'a', 'b', 'c'};
    z[0] = 0x78;
    z[1] = 0x01;
    memcpy(z + 2, raw, sizeof raw);
    uint32_t a = mdm_image_adler32(1, (const uint8_t *)"abc", 3);
    CHECK(a == 0x024d0127u);
    z[10] = (uint8_t)(a >> 24), z[11] = (uint8_t)(a >> 16), z[12] = (uint8_t)(a >> 8);
    z[13] = (uint8_t)a;
    CHECK(mdm_image_zlib_inflate(z, 14, out, sizeof out, &len) == MDM_OK && len == 3);
    CHECK(mdm_image_zlib_inflate(z, 13, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    z[13] ^= 1;
    CHECK(mdm_image_zlib_inflate(z, 14, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    z[13] ^= 1;
    z[0] = 0x77; /* CM 7 */
    CHECK(mdm_image_zlib_inflate(z, 14, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    z[0] = 0x78;
    z[1] = 0x02; /* check bits wrong */
    CHECK(mdm_image_zlib_inflate(z, 14, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    z[1] = 0x20; /* FDICT set, check bits right */
    CHECK(((0x78 << 8) | z[1]) % 31 == 0);
    CHECK(mdm_image_zlib_inflate(z, 14, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
    CHECK(mdm_image_zlib_inflate(z, 1, out, sizeof out, &len) == MDM_ERR_BAD_IMAGE);
}

static void deflate_round_trip(void) {
    rng_state = 7;
    size_t sizes[] = {0, 1, 3, 100, 65535, 65536, 200000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int kind = 0; kind < 3; kind++) {
            size_t n = sizes[k], zn = 0, got = 0;
            uint8_t *src = malloc(n + 1), *back = malloc(n + 1);
            size_t cap = mdm_image_zlib_bound(n);
            uint8_t *z = malloc(cap);
            for (size_t i = 0; i < n; i++)
                src[i] = kind == 0 ? 0 : kind == 1 ? (uint8_t)rnd() : (uint8_t)("abcab"[i % 5] + i / 9000);
            CHECK(mdm_image_zlib_deflate(src, n, NULL, 0, &zn) == MDM_ERR_BUFFER_TOO_SMALL);
            CHECK(zn <= cap);
            CHECK(mdm_image_zlib_deflate(src, n, z, cap, &zn) == MDM_OK);
            CHECK(mdm_image_zlib_inflate(z, zn, back, n, &got) == MDM_OK && got == n);
            CHECK(n == 0 || memcmp(src, back, n) == 0);
            if (kind == 0 && n >= 65535)
                CHECK(zn < n / 50); /* runs compress */
            if (kind == 1)
                CHECK(zn <= n + 5 * (n / 65535 + 1) + 7); /* noise falls back to stored */
            free(src);
            free(back);
            free(z);
        }
    }
}

/* ---- PNG ---------------------------------------------------------------- */

static mdm_status status_named(const char *s) {
    return strcmp(s, "ok") == 0                ? MDM_OK
           : strcmp(s, "IMAGE_TOO_LARGE") == 0 ? MDM_ERR_IMAGE_TOO_LARGE
                                               : MDM_ERR_BAD_IMAGE;
}

static void png_fixtures(void) {
    size_t n = 0;
    char *list = (char *)read_file(DATA_DIR "manifest.txt", &n);
    CHECK(list != NULL);
    if (!list)
        return;
    list[n] = 0;
    int count = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64], status[32];
        int w = 0, h = 0, c = 0;
        if (sscanf(line, "%63s %31s %d %d %d", name, status, &w, &h, &c) < 2)
            continue;
        size_t pn = 0, rn = 0;
        uint8_t *png = fixture(name, ".png", &pn), *raw = NULL;
        CHECKF(png != NULL, "missing %s.png", name);
        if (!png)
            continue;
        mdm_image img;
        char err[128];
        mdm_status st = mdm_image_decode(png, pn, NULL, &img, err, sizeof err);
        CHECKF(st == status_named(status), "%s: got %s (%s)", name, mdm_strerror(st), err);
        if (st == MDM_OK && status_named(status) == MDM_OK) {
            raw = fixture(name, ".raw", &rn);
            CHECKF(img.w == w && img.h == h && img.channels == c, "%s: %dx%dx%d", name, img.w,
                   img.h, img.channels);
            CHECKF(raw && rn == mdm_image_size(&img) && memcmp(raw, img.pixels, rn) == 0,
                   "%s: pixels differ", name);
        } else if (st != MDM_OK) {
            CHECKF(err[0] && !img.pixels, "%s: no reason or pixels left", name);
        }
        mdm_image_free(&img);
        free(png);
        free(raw);
        count++;
    }
    CHECK(count >= 40);
    free(list);
}

static void png_round_trip(void) {
    rng_state = 11;
    static const int dims[][2] = {{1, 1}, {3, 5}, {31, 17}, {64, 1}, {1, 64}, {300, 200}};
    for (int c = 1; c <= 4; c++) {
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
            for (int noise = 0; noise < 2; noise++) {
                mdm_image img, back;
                size_t n = 0;
                random_image(&img, dims[d][0], dims[d][1], c, noise);
                uint8_t *png = encode_png(&img, &n);
                CHECK(png != NULL);
                CHECK(png && mdm_image_decode(png, n, NULL, &back, NULL, 0) == MDM_OK);
                CHECK(back.w == img.w && back.h == img.h && back.channels == c);
                CHECK(back.pixels && memcmp(back.pixels, img.pixels, mdm_image_size(&img)) == 0);
                if (png && !noise && c == 1 && d == 5)
                    CHECK(n < mdm_image_size(&img) / 2); /* smooth images compress */
                free(png);
                mdm_image_free(&img);
                mdm_image_free(&back);
            }
        }
    }
}

static void png_size_query(void) {
    mdm_image img;
    size_t need = 0, got = 0;
    rng_state = 3;
    random_image(&img, 10, 10, 3, 1);
    CHECK(mdm_image_encode_png(&img, NULL, 0, &need) == MDM_ERR_BUFFER_TOO_SMALL && need > 300);
    uint8_t *buf = malloc(need);
    CHECK(mdm_image_encode_png(&img, buf, need - 1, &got) == MDM_ERR_BUFFER_TOO_SMALL);
    CHECK(got == need);
    CHECK(mdm_image_encode_png(&img, buf, need, &got) == MDM_OK && got == need);
    CHECK(memcmp(buf, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16) == 0);
    CHECK(memcmp(buf + need - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
    mdm_image bad = img;
    bad.channels = 5;
    CHECK(mdm_image_encode_png(&bad, buf, need, &got) == MDM_ERR_INVALID_ARG);
    bad.channels = 3;
    bad.pixels = NULL;
    CHECK(mdm_image_encode_png(&bad, buf, need, &got) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_image_encode_png(&img, buf, need, NULL) == MDM_ERR_INVALID_ARG);
    free(buf);
    mdm_image_free(&img);
}

static void png_limits(void) {
    size_t n = 0;
    uint8_t *png = fixture("ct2_d8", ".png", &n); /* 13 x 11 RGB */
    CHECK(png != NULL);
    if (!png)
        return;
    mdm_image img;
    mdm_image_limits side = {12, 0}, bytes = {0, 500}, fits = {13, 13 * 11 * 3 + 12 * 40 + n};
    CHECK(mdm_image_decode(png, n, &side, &img, NULL, 0) == MDM_ERR_IMAGE_TOO_LARGE);
    CHECK(mdm_image_decode(png, n, &bytes, &img, NULL, 0) == MDM_ERR_IMAGE_TOO_LARGE);
    CHECK(!img.pixels);
    CHECK(mdm_image_decode(png, n, &fits, &img, NULL, 0) == MDM_OK);
    mdm_image_free(&img);
    char err[8];
    CHECK(mdm_image_decode(png, 20, NULL, &img, err, sizeof err) == MDM_ERR_BAD_IMAGE);
    CHECK(strlen(err) == 7); /* truncated to the buffer */
    static const uint8_t junk[] = "GIF89a";
    CHECK(mdm_image_decode(junk, 6, NULL, &img, NULL, 0) == MDM_ERR_BAD_IMAGE);
    CHECK(mdm_image_decode(NULL, 0, NULL, &img, NULL, 0) == MDM_ERR_BAD_IMAGE);
    CHECK(mdm_image_decode(NULL, 5, NULL, &img, NULL, 0) == MDM_ERR_INVALID_ARG && !img.pixels);
    CHECK(mdm_image_decode(png, n, NULL, NULL, NULL, 0) == MDM_ERR_INVALID_ARG);
    free(png);
}

/* ---- PNM ---------------------------------------------------------------- */

static mdm_status pnm(const char *s, size_t n, mdm_image *img) {
    return mdm_image_decode((const uint8_t *)s, n, NULL, img, NULL, 0);
}

static void pnm_read(void) {
    mdm_image img;
    static const char p5[] = "P5\n# c1\n3 # c2\n2\n255\n\x00\x10\x20\x30\x40\xff";
    CHECK(pnm(p5, sizeof p5 - 1, &img) == MDM_OK && img.w == 3 && img.h == 2 && img.channels == 1);
    CHECK(img.pixels && memcmp(img.pixels, "\x00\x10\x20\x30\x40\xff", 6) == 0);
    mdm_image_free(&img);
    static const char p6[] = "P6 1 2 255\r\x01\x02\x03\x04\x05\x06trailing";
    CHECK(pnm(p6, sizeof p6 - 1, &img) == MDM_OK && img.channels == 3 && img.h == 2);
    CHECK(img.pixels && memcmp(img.pixels, "\x01\x02\x03\x04\x05\x06", 6) == 0);
    mdm_image_free(&img);
    static const char p2[] = "P2\n2 2\n15\n0 15\n# mid-raster comment\n7 8";
    CHECK(pnm(p2, sizeof p2 - 1, &img) == MDM_OK);
    CHECK(img.pixels && img.pixels[0] == 0 && img.pixels[1] == 255 && img.pixels[2] == 119 &&
          img.pixels[3] == 136); /* 7*255/15 = 119, 8*17 = 136 */
    mdm_image_free(&img);
    static const char p3[] = "P3 2 1 1000 0 500 1000 1 2 999";
    CHECK(pnm(p3, sizeof p3 - 1, &img) == MDM_OK && img.channels == 3);
    CHECK(img.pixels && memcmp(img.pixels, "\x00\x80\xff\x00\x01\xff", 6) == 0);
    mdm_image_free(&img);
    static const char p16[] = "P5 2 1 65535\n\x80\x00\xff\xff";
    CHECK(pnm(p16, sizeof p16 - 1, &img) == MDM_OK && img.pixels && img.pixels[0] == 128 &&
          img.pixels[1] == 255);
    mdm_image_free(&img);
    static const char *const bad[] = {
        "P5 3 2 255\n\x01",           /* truncated raster */
        "P5 3 2 255",                 /* no raster */
        "P5 0 2 255\n",               /* zero width */
        "P5 1 1 0\n\x00",             /* zero maxval */
        "P5 1 1 65536\n\x00\x00",     /* maxval too big */
        "P5 1 1 100\n\xc8",           /* sample above maxval */
        "P2 2 1 255 3 256",           /* plain sample above maxval */
        "P2 2 1 255 3",               /* plain raster short */
        "P2 2 1 255 3 x",             /* not a number */
        "P5 99999999999 1 255\n\x00", /* width overflows */
        "P5 1 1 255\x01\x00",         /* no whitespace after maxval */
        "P53 1 255\n\x00",            /* no whitespace after the magic */
        "P7 1 1 255\n\x00",           /* PAM is not supported */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(pnm(bad[i], strlen(bad[i]), &img) == MDM_ERR_BAD_IMAGE, "bad[%zu]", i);
        CHECK(!img.pixels);
    }
    static const char big[] = "P5 20000 2 255\n";
    CHECK(pnm(big, sizeof big - 1, &img) == MDM_ERR_IMAGE_TOO_LARGE);
    mdm_image_limits lim = {0, 5};
    CHECK(mdm_image_decode((const uint8_t *)p5, sizeof p5 - 1, &lim, &img, NULL, 0) ==
          MDM_ERR_IMAGE_TOO_LARGE);
}

static void pnm_write(void) {
    mdm_image img, back;
    size_t need = 0, got = 0;
    rng_state = 5;
    for (int c = 1; c <= 3; c += 2) {
        random_image(&img, 5, 4, c, 1);
        CHECK(mdm_image_encode_pnm(&img, NULL, 0, &need) == MDM_ERR_BUFFER_TOO_SMALL);
        CHECK(need == 11 + 20 * (size_t)c);
        uint8_t *buf = malloc(need);
        CHECK(mdm_image_encode_pnm(&img, buf, need - 1, &got) == MDM_ERR_BUFFER_TOO_SMALL);
        CHECK(mdm_image_encode_pnm(&img, buf, need, &got) == MDM_OK && got == need);
        CHECK(memcmp(buf, c == 1 ? "P5\n5 4\n255\n" : "P6\n5 4\n255\n", 11) == 0);
        CHECK(mdm_image_decode(buf, got, NULL, &back, NULL, 0) == MDM_OK);
        CHECK(back.channels == c && memcmp(back.pixels, img.pixels, mdm_image_size(&img)) == 0);
        mdm_image_free(&back);
        free(buf);
        mdm_image_free(&img);
    }
    random_image(&img, 2, 2, 4, 1);
    CHECK(mdm_image_encode_pnm(&img, NULL, 0, &need) == MDM_ERR_INVALID_ARG);
    mdm_image_free(&img);
}

/* ---- conversion, resizing, floats --------------------------------------- */

static mdm_image make(int w, int h, int c, const uint8_t *px) {
    mdm_image img;
    mdm_image_alloc(&img, w, h, c);
    if (img.pixels)
        memcpy(img.pixels, px, mdm_image_size(&img));
    return img;
}

static void convert_channels(void) {
    static const uint8_t rgb[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    mdm_image src = make(4, 1, 3, rgb), out;
    CHECK(mdm_image_convert(&src, 1, &out) == MDM_OK && out.channels == 1);
    CHECK(out.pixels && memcmp(out.pixels, "\x4c\x96\x1d\xff", 4) == 0); /* 76 150 29 255 */
    mdm_image_free(&out);
    CHECK(mdm_image_convert(&src, 4, &out) == MDM_OK && out.pixels && out.pixels[3] == 255 &&
          out.pixels[4] == 0 && out.pixels[15] == 255);
    mdm_image_free(&out);
    mdm_image_free(&src);
    static const uint8_t rgba[] = {200, 100, 50, 128, 10, 20, 30, 0};
    src = make(2, 1, 4, rgba);
    CHECK(mdm_image_convert(&src, 1, &out) == MDM_OK);
    CHECK(out.pixels && out.pixels[0] == 62 && out.pixels[1] == 0); /* 124.2*128/255 = 62.3 */
    mdm_image_free(&out);
    CHECK(mdm_image_convert(&src, 3, &out) == MDM_OK); /* over black */
    CHECK(out.pixels && memcmp(out.pixels, "\x64\x32\x19\x00\x00\x00", 6) == 0);
    mdm_image_free(&out);
    CHECK(mdm_image_convert(&src, 2, &out) == MDM_OK);
    CHECK(out.pixels && out.pixels[0] == 124 && out.pixels[1] == 128 && out.pixels[3] == 0);
    mdm_image_free(&out);
    mdm_image_free(&src);
    static const uint8_t ga[] = {90, 255, 90, 51};
    src = make(2, 1, 2, ga);
    CHECK(mdm_image_convert(&src, 3, &out) == MDM_OK);
    CHECK(out.pixels && memcmp(out.pixels, "\x5a\x5a\x5a\x12\x12\x12", 6) == 0); /* 90*51/255=18 */
    mdm_image_free(&out);
    CHECK(mdm_image_convert(&src, 1, &out) == MDM_OK && out.pixels && out.pixels[1] == 18);
    mdm_image_free(&out);
    CHECK(mdm_image_convert(&src, 0, &out) == MDM_ERR_INVALID_ARG && !out.pixels);
    mdm_image_free(&src);
}

static int resized(const uint8_t *px, int sw, int sh, int c, int w, int h, mdm_image_fit fit,
                   const uint8_t *want) {
    mdm_image src = make(sw, sh, c, px), out;
    int ok = mdm_image_resize(&src, w, h, fit, &out) == MDM_OK && out.w == w && out.h == h &&
             memcmp(out.pixels, want, (size_t)w * h * c) == 0;
    mdm_image_free(&src);
    mdm_image_free(&out);
    return ok;
}

static void resize_cases(void) {
    static const uint8_t b4[] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150};
    /* 2x2 boxes: (0+10+40+50)/4 = 25, 45, 105, 125 */
    CHECK(resized(b4, 4, 4, 1, 2, 2, MDM_FIT_PAD, (const uint8_t[]){25, 45, 105, 125}));
    /* 3 -> 2: (2*0 + 90)/3 = 30, (90 + 2*180)/3 = 150 */
    CHECK(resized((const uint8_t[]){0, 90, 180}, 3, 1, 1, 2, 1, MDM_FIT_STRETCH,
                  (const uint8_t[]){30, 150}));
    /* bilinear 2 -> 4 on pixel centres: 0, 25, 75, 100 */
    CHECK(resized((const uint8_t[]){0, 100}, 2, 1, 1, 4, 1, MDM_FIT_STRETCH,
                  (const uint8_t[]){0, 25, 75, 100}));
    /* exact halves round up: (0 + 1)/2 */
    CHECK(resized((const uint8_t[]){0, 1}, 2, 1, 1, 1, 1, MDM_FIT_STRETCH, (const uint8_t[]){1}));
    /* identity */
    CHECK(resized(b4, 4, 4, 1, 4, 4, MDM_FIT_PAD, b4));
    /* pad: 4x2 into 4x4 sits on rows 1..2 */
    static const uint8_t pad_want[] = {0, 0, 0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 0, 0, 0, 0};
    CHECK(resized(b4, 4, 2, 1, 4, 4, MDM_FIT_PAD, pad_want));
    /* pad: 2x4 into 4x4 sits on columns 1..2 */
    static const uint8_t padx_want[] = {0, 0, 10, 0, 0, 20, 30, 0, 0, 40, 50, 0, 0, 60, 70, 0};
    CHECK(resized(b4, 2, 4, 1, 4, 4, MDM_FIT_PAD, padx_want));
    /* pad + shrink: 4x2 RGB into 2x2: one row of 2x2 boxes at row 0 (offset (2-1)/2 = 0) */
    static const uint8_t rgb8[] = {0, 0, 0, 4, 4, 4, 8, 8, 8, 12, 12, 12,
                                   2, 2, 2, 6, 6, 6, 10, 10, 10, 14, 14, 14};
    CHECK(resized(rgb8, 4, 2, 3, 2, 2, MDM_FIT_PAD,
                  (const uint8_t[]){3, 3, 3, 11, 11, 11, 0, 0, 0, 0, 0, 0}));
    /* mixed axes: x grows (bilinear from 1 column = copy), y shrinks (average) */
    CHECK(resized((const uint8_t[]){10, 30}, 1, 2, 1, 3, 1, MDM_FIT_STRETCH,
                  (const uint8_t[]){20, 20, 20}));
    /* fit keeps aspect: 8x2 into 4x4 -> 4x1 centred at row 1 */
    static const uint8_t wide[16] = {0, 0, 8, 8, 16, 16, 24, 24, 0, 0, 8, 8, 16, 16, 24, 24};
    CHECK(resized(wide, 8, 2, 1, 4, 4, MDM_FIT_PAD,
                  (const uint8_t[]){0, 0, 0, 0, 0, 8, 16, 24, 0, 0, 0, 0, 0, 0, 0, 0}));
    mdm_image src = make(2, 2, 1, b4), out;
    CHECK(mdm_image_resize(&src, 0, 4, MDM_FIT_PAD, &out) == MDM_ERR_INVALID_ARG && !out.pixels);
    CHECK(mdm_image_resize(&src, 4, 4, (mdm_image_fit)7, &out) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_image_resize(&src, 1 << 21, 4, MDM_FIT_PAD, &out) == MDM_ERR_IMAGE_TOO_LARGE);
    mdm_image_free(&src);
    /* A big downscale keeps the mean of a constant image exactly. */
    mdm_image big;
    CHECK(mdm_image_alloc(&big, 997, 613, 3) == MDM_OK);
    memset(big.pixels, 77, mdm_image_size(&big));
    CHECK(mdm_image_prepare(&big, 28, 28, 1, MDM_FIT_STRETCH, &out) == MDM_OK);
    for (int i = 0; out.pixels && i < 28 * 28; i++)
        CHECK(out.pixels[i] == 77);
    mdm_image_free(&out);
    CHECK(mdm_image_prepare(&big, 32, 32, 1, MDM_FIT_PAD, &out) == MDM_OK && out.channels == 1);
    CHECK(out.pixels && out.pixels[0] == 0 && out.pixels[16 * 32 + 16] == 77); /* 32x20 band */
    CHECK(out.pixels && out.pixels[5 * 32] == 0 && out.pixels[6 * 32] == 77 &&
          out.pixels[25 * 32] == 77 && out.pixels[26 * 32] == 0);
    mdm_image_free(&out);
    mdm_image_free(&big);
}

static void floats(void) {
    uint8_t b[256], back[256];
    float x[256];
    for (int i = 0; i < 256; i++)
        b[i] = (uint8_t)i;
    mdm_image_bytes_to_floats(b, 256, x);
    CHECK(x[0] == -1.0f && x[255] == 1.0f && fabsf(x[128] - 0.00392157f) < 1e-6f);
    mdm_image_floats_to_bytes(x, 256, back);
    CHECK(memcmp(b, back, 256) == 0);
    const float odd[] = {-2.0f, 2.0f, NAN, 0.0f, -0.0f, 1e30f, -1e30f, 0.5f};
    uint8_t ob[8];
    mdm_image_floats_to_bytes(odd, 8, ob);
    CHECK(memcmp(ob, "\x00\xff\x00\x80\x80\xff\x00\xbf", 8) == 0); /* 0.5 -> 191.25 */
    static const uint8_t px[] = {0, 128, 255, 10, 20, 30};
    mdm_image img = make(2, 1, 3, px), out;
    float plane[6];
    CHECK(mdm_image_to_planar(&img, plane, 6) == MDM_OK);
    CHECK(plane[0] == -1.0f && plane[1] == 10 / 127.5f - 1 && plane[4] == 1.0f);
    CHECK(mdm_image_to_planar(&img, plane, 5) == MDM_ERR_INVALID_ARG);
    CHECK(mdm_image_from_planar(plane, 2, 1, 3, &out) == MDM_OK);
    CHECK(out.pixels && memcmp(out.pixels, px, 6) == 0);
    mdm_image_free(&out);
    mdm_image_free(&img);
}

/* ---- corruption --------------------------------------------------------- */

static void corrupt_one(const uint8_t *png, size_t n, int flips, int *bad) {
    const mdm_image_limits lim = {4096, 64u << 20};
    uint8_t *buf = malloc(n), *fixed = malloc(n);
    for (size_t cut = 0; cut <= n; cut++) /* every truncation */
        *bad += !image_check(png, cut, &lim);
    for (int i = 0; i < flips; i++) {
        memcpy(buf, png, n);
        int k = 1 + (int)(rnd() % 4);
        for (int j = 0; j < k; j++) {
            size_t at = 8 + rnd() % (n - 8);
            buf[at] = rnd() % 3 ? (uint8_t)(buf[at] ^ (1u << (rnd() % 8))) : (uint8_t)rnd();
        }
        *bad += !image_check(buf, n, &lim);
        size_t m = png_repair(buf, n, fixed); /* the same flips past the CRCs */
        *bad += m && !image_check(fixed, m, &lim);
    }
    free(buf);
    free(fixed);
}

static void corruption(void) {
    static const char *const names[] = {"block_dynamic", "pal_d2_trns", "ct6_d16", "key_ct0_d2",
                                        "idat_split", "ct0_d1"};
    int bad = 0, files = 0;
    rng_state = 0x5eed;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = 0;
        uint8_t *png = fixture(names[i], ".png", &n);
        if (!png)
            continue;
        corrupt_one(png, n, 1000, &bad);
        files++;
        free(png);
    }
    mdm_image img; /* and one from our own encoder */
    size_t n = 0;
    random_image(&img, 23, 9, 3, 0);
    uint8_t *png = encode_png(&img, &n);
    CHECK(png != NULL);
    if (png)
        corrupt_one(png, n, 2000, &bad);
    free(png);
    mdm_image_free(&img);
    CHECKF(bad == 0, "%d corrupted inputs broke an invariant", bad);
    CHECKF(files == 6, "only %d fixtures found", files);
}

static void repair_reaches_pixels(void) {
    /* A flipped pixel byte in a stored-block PNG is found by the CRC; once
     * repaired it decodes to a different, valid image. */
    mdm_image img, out;
    size_t n = 0;
    rng_state = 9;
    random_image(&img, 16, 16, 1, 1); /* noise: stored blocks */
    uint8_t *png = encode_png(&img, &n), *fixed = malloc(n);
    CHECK(png && fixed);
    if (!png || !fixed)
        return;
    png[n - 40] ^= 0x10;
    CHECK(mdm_image_decode(png, n, NULL, &out, NULL, 0) == MDM_ERR_BAD_IMAGE);
    CHECK(png_repair(png, n, fixed) == n);
    CHECK(mdm_image_decode(fixed, n, NULL, &out, NULL, 0) == MDM_OK);
    CHECK(out.pixels && memcmp(out.pixels, img.pixels, 256) != 0);
    mdm_image_free(&out);
    mdm_image_free(&img);
    free(png);
    free(fixed);
}

int main(void) {
    RUN(inflate_stored_and_fixed);
    RUN(inflate_dynamic);
    RUN(zlib_wrapper);
    RUN(deflate_round_trip);
    size_t n = 0;
    uint8_t *manifest = read_file(DATA_DIR "manifest.txt", &n);
    if (manifest) { /* run.sh starts tests in the repository root */
        RUN(png_fixtures);
        RUN(png_limits);
        RUN(corruption);
    } else {
        SKIP("png_fixtures", DATA_DIR " not found (run from the repository root)");
        SKIP("png_limits", DATA_DIR " not found");
        SKIP("corruption", DATA_DIR " not found");
    }
    free(manifest);
    RUN(png_round_trip);
    RUN(png_size_query);
    RUN(pnm_read);
    RUN(pnm_write);
    RUN(convert_channels);
    RUN(resize_cases);
    RUN(floats);
    RUN(repair_reaches_pixels);
    CHECK_EXIT();
}
