/* The safetensors reader: header length, JSON header, dtypes, offsets
 * against the buffer, exact tiling of the data, __metadata__. */
#include "check.h"
#include "tools/convert/safetensors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t file[4096];

/* header JSON + n data bytes (0, 1, 2, ...); returns the file size. */
static size_t make(const char *hdr, size_t n) {
    size_t h = strlen(hdr);
    for (int k = 0; k < 8; k++)
        file[k] = (uint8_t)((uint64_t)h >> 8 * k);
    memcpy(file + 8, hdr, h);
    for (size_t i = 0; i < n; i++)
        file[8 + h + i] = (uint8_t)i;
    return 8 + h + n;
}

static mdm_status open_st(size_t size, char *err) {
    uint8_t *c = malloc(size ? size : 1); /* exact size, for ASan */
    memcpy(c, file, size);
    st_file f;
    mdm_status st = st_open(&f, c, size, err, 200);
    if (st == MDM_OK)
        st_close(&f);
    free(c);
    return st;
}

static void reads_tensors(void) {
    const char *h = "{\"__metadata__\": {\"format\": \"pt\"},"
                    " \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                    " \"b\": {\"dtype\": \"F16\", \"shape\": [1, 2], \"data_offsets\": [8, 12]},"
                    " \"c\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [12, 16]},"
                    " \"e\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [16, 16]}}";
    size_t n = make(h, 16);
    float one = 1.0f, two = -2.0f;
    memcpy(file + n - 16, &one, 4);
    memcpy(file + n - 12, &two, 4);
    memcpy(file + n - 8, "\x00\x3c\x00\xc0", 4); /* f16 1, -2 */
    memcpy(file + n - 4, "\x80\x3f\x00\x40", 4); /* bf16 1, 2 */
    st_file f;
    char err[200];
    CHECKF(st_open(&f, file, n, err, sizeof err) == MDM_OK, "%s", err);
    CHECK(f.n == 4);
    const st_tensor *a = st_find(&f, "a"), *b = st_find(&f, "b"), *c = st_find(&f, "c"),
                    *e = st_find(&f, "e");
    CHECK(a && a->dtype == ST_F32 && a->rank == 1 && st_get(a, 0) == 1.0f && st_get(a, 1) == -2.0f);
    CHECK(b && b->rank == 2 && b->shape[1] == 2 && st_get(b, 0) == 1.0f && st_get(b, 1) == -2.0f);
    CHECK(c && st_get(c, 0) == 1.0f && st_get(c, 1) == 2.0f);
    CHECK(e && e->count == 0 && e->nbytes == 0);
    CHECK(st_find(&f, "__metadata__") == NULL && st_find(&f, "z") == NULL);
    st_close(&f);
}

static void refuses(void) {
    const struct {
        const char *hdr;
        size_t data;
        mdm_status want;
    } cases[] = {
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 7,
         MDM_ERR_BAD_SAFETENSORS}, /* end past the buffer */
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 9,
         MDM_ERR_BAD_SAFETENSORS}, /* a byte after the last tensor */
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8,
         MDM_ERR_BAD_SAFETENSORS}, /* size does not match the shape */
        {"{\"a\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8,
         MDM_ERR_UNSUPPORTED},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
         MDM_ERR_BAD_SAFETENSORS}, /* gap */
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
         " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12,
         MDM_ERR_BAD_SAFETENSORS}, /* overlap */
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 0]}}", 0,
         MDM_ERR_BAD_SAFETENSORS},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 0]}}",
         0, MDM_ERR_BAD_SAFETENSORS}, /* size overflows */
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8,
         MDM_ERR_BAD_SAFETENSORS},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 1}}", 4,
         MDM_ERR_BAD_SAFETENSORS},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, MDM_ERR_BAD_SAFETENSORS},
        {"{\"a\": 5}", 0, MDM_ERR_BAD_SAFETENSORS},
        {"{\"__metadata__\": {\"k\": 1}}", 0, MDM_ERR_BAD_SAFETENSORS},
        {"[]", 0, MDM_ERR_BAD_SAFETENSORS},
        {"{\"a\": {}", 0, MDM_ERR_BAD_SAFETENSORS},
        {"{}", 0, MDM_OK},
        {"{\"__metadata__\": {\"k\": \"v\"}}   ", 0, MDM_OK},
    };
    char err[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = make(cases[i].hdr, cases[i].data);
        mdm_status st = open_st(n, err);
        CHECKF(st == cases[i].want, "case %zu: %s", i, st ? err : "ok");
    }
    make("{}", 0);
    CHECK(open_st(7, err) == MDM_ERR_BAD_SAFETENSORS);
    file[0] = 0xff; /* header longer than the file */
    CHECK(open_st(10, err) == MDM_ERR_BAD_SAFETENSORS);
    memset(file, 0xff, 8);
    CHECK(open_st(10, err) == MDM_ERR_BAD_SAFETENSORS);
}

int main(void) {
    RUN(reads_tensors);
    RUN(refuses);
    CHECK_EXIT();
}
