/* mdm-convert's pipeline: convert -> load -> dequantize stays within the
 * type's bound for every tensor; deterministic output; a reference
 * checkpoint (config.json, vocab.tsv, model.safetensors) written here
 * converts to the same tensors, and each kind of bad checkpoint is refused
 * with its own status. */
#include "check.h"
#include "test_gguf_util.h"
#include "model/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t count_of(const mdm_tensor_spec *s) {
    return (size_t)(s->ne[0] * s->ne[1] * s->ne[2] * s->ne[3]);
}

/* Max |x - y| allowed for block b of 32 values (or one value for f16/f32). */
static int within(mdm_type t, const float *x, const float *y, size_t n) {
    for (size_t b = 0; b < n; b += 32) {
        size_t k = n - b < 32 ? n - b : 32;
        float amax = 0, max = 0;
        for (size_t j = 0; j < k; j++)
            if (fabsf(x[b + j]) > amax) {
                amax = fabsf(x[b + j]);
                max = x[b + j];
            }
        for (size_t j = 0; j < k; j++) {
            double e = fabs((double)x[b + j] - y[b + j]), bound = 0;
            double d8 = amax / 127.0, d4 = fabs(max / 8.0);
            switch (t) {
            case MDM_TYPE_F32: bound = 0; break;
            case MDM_TYPE_F16: bound = ldexp(fabs((double)x[b + j]), -11) + ldexp(1, -25); break;
            /* d/2 + f16 error of d (<= 2^-11 d) times |q| <= 127 */
            case MDM_TYPE_Q8_0: bound = d8 / 2 + ldexp(d8, -11) * 127 + 1e-6 * amax; break;
            /* one step at the clipped end + f16 error of d times 8 */
            case MDM_TYPE_Q4_0: bound = d4 + ldexp(d4, -11) * 8 + 1e-6 * amax; break;
            }
            if (e > bound)
                return 0;
        }
    }
    return 1;
}

static void round_trip(const char *preset, mdm_type type) {
    uint8_t *buf;
    size_t size;
    CHECK(build_model(preset, 3, type, NULL, &buf, &size) == MDM_OK);
    mdm_model *m;
    char err[256];
    CHECKF(mdm_model_open_memory(buf, size, NULL, &m, err, sizeof err) == MDM_OK, "%s", err);
    if (check_failed_case)
        return;
    cv_source src;
    CHECK(cv_preset(&src, preset, 3, err, sizeof err) == MDM_OK);
    mdm_tensor_spec *specs;
    size_t n;
    CHECK(mdm_arch_tensors(m, &specs, &n) == MDM_OK);
    CHECK(n == mdm_model_n_tensors(m));
    int quantized = 0;
    for (size_t i = 0; i < n; i++) {
        const mdm_tensor *v = specs[i].slot;
        size_t c = count_of(&specs[i]);
        float *x = malloc(c * sizeof *x), *y = malloc(c * sizeof *y);
        CHECK(src.fill(&src, &specs[i], x, c, err, sizeof err) == MDM_OK);
        CHECKF(v->type == mdm_arch_pick_type(&specs[i], type), "%s: type %d", specs[i].name,
               v->type);
        CHECK(((uintptr_t)v->data % MDM_MODEL_ALIGN) == 0);
        quantized += v->type == type;
        mdm_dequantize_row(v->type, v->data, y, c);
        CHECKF(within(v->type, x, y, c), "%s (%s) exceeds its bound", specs[i].name,
               mdm_type_name(v->type));
        free(x);
        free(y);
    }
    CHECK(quantized > (type == MDM_TYPE_F32 ? (int)n - 1 : 10));
    free(specs);
    cv_source_free(&src);
    mdm_model_free(m);
    free(buf);
}

static void round_trip_micro(void) {
    const mdm_type t[] = {MDM_TYPE_F32, MDM_TYPE_F16, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    for (int i = 0; i < 4; i++)
        round_trip("micro", t[i]);
}

static void round_trip_tiny(void) {
    round_trip("tiny", MDM_TYPE_Q8_0);
    round_trip("tiny", MDM_TYPE_Q4_0);
}

static void deterministic(void) {
    uint8_t *a, *b, *c;
    size_t na, nb, nc;
    CHECK(build_model("micro", 5, MDM_TYPE_Q4_0, NULL, &a, &na) == MDM_OK);
    CHECK(build_model("micro", 5, MDM_TYPE_Q4_0, NULL, &b, &nb) == MDM_OK);
    CHECK(build_model("micro", 6, MDM_TYPE_Q4_0, NULL, &c, &nc) == MDM_OK);
    CHECK(na == nb && memcmp(a, b, na) == 0);
    CHECK(na == nc && memcmp(a, c, na) != 0);
    free(a), free(b), free(c);
}

static void model_view(void) {
    uint8_t *buf;
    size_t size;
    char err[256];
    CHECK(build_model("tiny", 1, MDM_TYPE_Q8_0, NULL, &buf, &size) == MDM_OK);
    mdm_model *m;
    CHECK(mdm_model_open_memory(buf, size, NULL, &m, err, sizeof err) == MDM_OK);
    const mdm_hparams *hp = &m->hp;
    CHECK(hp->d_model == 128 && hp->n_layer == 8 && hp->d_inner == 256 && hp->dt_rank == 8);
    CHECK(hp->n_image_tokens == 16 && hp->seq_len == 35 && hp->patch_dim == 16);
    CHECK(m->vocab.n == 128 && m->vocab.pad_id == 0 && m->vocab.unk_id == 1);
    CHECK(m->vocab.piece_len[0] == 5 && memcmp(m->vocab.piece[0], "<pad>", 5) == 0);
    CHECK(m->vocab.piece_len[3] == 4 && memcmp(m->vocab.piece[3], "\xe2\x96\x81" "a", 4) == 0);
    CHECK(m->vae_enc.n_blocks == 9 && m->vae_enc.blocks[2].op == MDM_VAE_DOWN);
    CHECK(m->vae_dec.blocks[1].op == MDM_VAE_RES && m->vae_dec.blocks[1].w2.type == MDM_TYPE_Q8_0);
    CHECK(m->vae_dec.blocks[6].op == MDM_VAE_GN && m->vae_dec.blocks[6].groups == 8);
    CHECK(m->vae_enc.blocks[0].w.ne[0] == 9 && m->vae_enc.blocks[0].w.type == MDM_TYPE_F32);
    CHECK(m->layers[7].in_proj.ne[0] == 128 && m->layers[7].in_proj.ne[1] == 512);
    CHECK(m->layers[0].A_log.type == MDM_TYPE_F32);
    float a[16];
    memcpy(a, m->layers[0].A_log.data, sizeof a);
    CHECK(fabsf(a[15] - logf(16.0f)) < 1e-6f && a[0] == 0.0f);
    /* Zero copy: views point into the caller's buffer. */
    CHECK((const uint8_t *)m->norm_f.data > buf && (const uint8_t *)m->norm_f.data < buf + size);
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    CHECK(info.crc_state == MDM_CRC_OK && info.file_type == 7 && info.alignment == 64);
    char blk[32];
    CHECK(mdm_model_vae_block(m, 1, 8, blk, sizeof blk) == MDM_OK && strcmp(blk, "conv:32:1") == 0);
    CHECK(mdm_model_vae_block(m, 1, 9, blk, sizeof blk) == MDM_ERR_INVALID_ARG);
    mdm_tensor_info t;
    CHECK(mdm_model_tensor(m, 0, &t) == MDM_OK && strcmp(t.name, "embed.image.weight") == 0);
    CHECK(mdm_model_tensor(m, mdm_model_n_tensors(m), &t) == MDM_ERR_INVALID_ARG);
    mdm_model_free(m);
    free(buf);
}

/* ---- a reference checkpoint written from the micro preset ---- */
static char dir[64];

static void write_file(const char *name, const void *p, size_t n) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n);
    if (f)
        fclose(f);
}

static const char config[] =
    "{\"architecture\": \"mdm\", \"preset\": \"micro\",\n"
    " \"image_size\": 8, \"image_channels\": 1, \"vae_factor\": 2, \"latent_channels\": 2,\n"
    " \"patch_size\": 2, \"text_len\": 4, \"vocab_size\": 16, \"d_model\": 32, \"n_layer\": 2,\n"
    " \"expand\": 2, \"d_state\": 4, \"d_conv\": 2, \"dt_rank\": 2, \"norm_eps\": 1e-5,\n"
    " \"vae\": {\"scaling_factor\": 1.0, \"gn_eps\": 1e-5,\n"
    "   \"encoder\": [\"conv:1:8\", \"res:8\", \"down:8:8\", \"gn:8:2\", \"silu\", \"conv:8:4\"],\n"
    "   \"decoder\": [\"conv:2:8\", \"up:8:8\", \"res:8\", \"gn:8:2\", \"silu\", \"conv:8:1\"]},\n"
    " \"tokenizer\": {\"pad_id\": 0, \"unk_id\": 1, \"eos_id\": 2}}\n";

/* mode: 0 good (dtypes cycle F32/F16/BF16), 1 drop a tensor, 2 add one,
 * 3 wrong shape, 4 I64 dtype, 5 offsets past the end. */
static void write_checkpoint(int mode) {
    cv_source src;
    char err[256];
    CHECK(cv_preset(&src, "micro", 9, err, sizeof err) == MDM_OK);
    mdm_tensor_spec *specs;
    size_t n;
    CHECK(mdm_arch_tensors(&src.m, &specs, &n) == MDM_OK);
    char *hdr = malloc(65536);
    uint8_t *data = malloc(1 << 20);
    size_t hl = 0, dl = 0;
    hl += (size_t)sprintf(hdr + hl, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (size_t i = 0; i < n; i++) {
        if (mode == 1 && i == 5)
            continue;
        size_t c = count_of(&specs[i]);
        float *x = malloc(c * sizeof *x);
        src.fill(&src, &specs[i], x, c, err, sizeof err);
        static const char *dt[] = {"F32", "F16", "BF16"};
        int d = (int)(i % 3), es = d ? 2 : 4;
        for (size_t j = 0; j < c; j++) {
            uint32_t u;
            memcpy(&u, &x[j], 4);
            if (d == 1)
                u = mdm_f32_to_f16(x[j]);
            if (d == 2)
                u >>= 16; /* truncation is a valid BF16 value */
            memcpy(data + dl + j * (size_t)es, &u, (size_t)es);
        }
        int64_t sh[4];
        int r = cv_torch_shape(&specs[i], sh);
        size_t extra = 0;
        if (mode == 3 && i == 8) { /* one more output row, with its bytes */
            extra = c / (size_t)sh[0] * (size_t)es;
            sh[0] += 1;
        }
        hl += (size_t)sprintf(hdr + hl, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [", specs[i].name,
                              mode == 4 && i == 2 ? "I64" : dt[d]);
        for (int k = 0; k < r; k++)
            hl += (size_t)sprintf(hdr + hl, k ? ", %lld" : "%lld", (long long)sh[k]);
        size_t bytes = c * (size_t)es + extra;
        hl += (size_t)sprintf(hdr + hl, "], \"data_offsets\": [%zu, %zu]}", dl,
                              dl + bytes + (mode == 5 && i == n - 1 ? 4 : 0));
        dl += bytes;
        free(x);
    }
    if (mode == 2)
        hl += (size_t)sprintf(hdr + hl, ", \"head.extra.bias\": {\"dtype\": \"F32\", \"shape\": [1],"
                                        " \"data_offsets\": [%zu, %zu]}", dl, dl + 4);
    if (mode == 2)
        dl += 4;
    hl += (size_t)sprintf(hdr + hl, "}");
    while (hl % 8)
        hdr[hl++] = ' ';
    uint8_t *file = malloc(8 + hl + dl);
    for (int k = 0; k < 8; k++)
        file[k] = (uint8_t)((uint64_t)hl >> 8 * k);
    memcpy(file + 8, hdr, hl);
    memcpy(file + 8 + hl, data, dl);
    write_file("model.safetensors", file, 8 + hl + dl);
    char voc[4096];
    size_t vl = 0;
    for (int i = 0; i < src.n_vocab; i++)
        vl += (size_t)sprintf(voc + vl, "%s\t%.9g\t%d\n", src.pieces[i], (double)src.scores[i],
                              src.types[i]);
    write_file("vocab.tsv", voc, vl);
    write_file("config.json", config, strlen(config));
    free(file), free(hdr), free(data), free(specs);
    cv_source_free(&src);
}

static void checkpoint_converts(void) {
    write_checkpoint(0);
    cv_source src;
    char err[256];
    mdm_status st = cv_checkpoint(&src, dir, err, sizeof err);
    CHECKF(st == MDM_OK, "%s", err);
    gw_sink sink = {0};
    if (st == MDM_OK)
        CHECKF(cv_write(&src, MDM_TYPE_F32, &sink, err, sizeof err) == MDM_OK, "%s", err);
    cv_source_free(&src);
    mdm_model *m = NULL, *r = NULL;
    uint8_t *ref;
    size_t nref;
    CHECK(build_model("micro", 9, MDM_TYPE_F32, NULL, &ref, &nref) == MDM_OK);
    CHECK(mdm_model_open_memory(sink.mem, sink.len, NULL, &m, err, sizeof err) == MDM_OK);
    CHECK(mdm_model_open_memory(ref, nref, NULL, &r, err, sizeof err) == MDM_OK);
    if (m && r) {
        CHECK(m->vocab.n == 16 && m->vocab.score[5] == r->vocab.score[5]);
        CHECK(mdm_model_n_tensors(m) == mdm_model_n_tensors(r));
        /* Tensor i was stored as F32, F16, BF16 in turn: equal after that rounding. */
        for (size_t i = 0; i < mdm_model_n_tensors(m); i++) {
            const mdm_gguf_tensor *a = &m->gguf->tensors[i], *b = &r->gguf->tensors[i];
            size_t c = (size_t)(a->nbytes / 4);
            CHECK(a->nbytes == b->nbytes && strcmp(a->name, b->name) == 0);
            for (size_t j = 0; j < c; j++) {
                float x, y;
                memcpy(&x, a->data + 4 * j, 4);
                memcpy(&y, b->data + 4 * j, 4);
                uint32_t u;
                memcpy(&u, &y, 4);
                float want = i % 3 == 0 ? y : i % 3 == 1 ? mdm_f16_to_f32(mdm_f32_to_f16(y))
                                                         : (u &= 0xffff0000u, memcpy(&y, &u, 4), y);
                CHECKF(x == want, "%s[%zu]", a->name, j);
            }
        }
    }
    mdm_model_free(m);
    mdm_model_free(r);
    free(ref);
    free(sink.mem);
}

static mdm_status try_checkpoint(char *err, size_t len) {
    cv_source src;
    mdm_status st = cv_checkpoint(&src, dir, err, len);
    cv_source_free(&src);
    return st;
}

static void checkpoint_refusals(void) {
    const struct {
        int mode;
        mdm_status want;
        const char *says;
    } cases[] = {{1, MDM_ERR_MISSING_TENSOR, "embed.task"},
                 {2, MDM_ERR_BAD_TENSOR_NAME, "head.extra.bias"},
                 {3, MDM_ERR_BAD_SHAPE, "embed.time_image.fc2.weight is [33, 32]"},
                 {4, MDM_ERR_UNSUPPORTED, "I64"},
                 {5, MDM_ERR_BAD_SAFETENSORS, "beyond"}};
    char err[256];
    for (int i = 0; i < 5; i++) {
        write_checkpoint(cases[i].mode);
        mdm_status st = try_checkpoint(err, sizeof err);
        CHECKF(st == cases[i].want && strstr(err, cases[i].says), "mode %d: \"%s\"",
               cases[i].mode, err);
    }
    write_checkpoint(0);
    CHECK(try_checkpoint(err, sizeof err) == MDM_OK);
    write_file("config.json", "{\"image_size\": 8,}", 18); /* trailing comma */
    CHECKF(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_JSON && strstr(err, "1:18"), "%s", err);
    char cfg[sizeof config];
    strcpy(cfg, config);
    memcpy(strstr(cfg, "\"d_state\""), "\"d_stat_\"", 9);
    write_file("config.json", cfg, strlen(cfg));
    CHECKF(try_checkpoint(err, sizeof err) == MDM_ERR_MISSING_KEY && strstr(err, "d_state"), "%s", err);
    strcpy(cfg, config);
    memcpy(strstr(cfg, "\"silu\""), "\"relu\"", 6);
    write_file("config.json", cfg, strlen(cfg));
    CHECKF(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_VALUE && strstr(err, "encoder"), "%s", err);
    strcpy(cfg, config);
    memcpy(strstr(cfg, "\"down:8:8\""), "\"conv:8:8\"", 10);
    write_file("config.json", cfg, strlen(cfg));
    CHECKF(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_VALUE && strstr(err, "vae_factor"), "%s", err);
    write_file("config.json", config, strlen(config));
    write_file("vocab.tsv", "<pad>\t0\t3\n", 10);
    CHECKF(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_VOCAB && strstr(err, "vocab.tsv"), "%s", err);
    write_file("vocab.tsv", "<pad>\tzero\t3\n", 13);
    CHECK(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_VOCAB);
    write_checkpoint(0);
    write_file("model.safetensors", "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10);
    CHECK(try_checkpoint(err, sizeof err) == MDM_ERR_BAD_SAFETENSORS);
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    CHECK(try_checkpoint(err, sizeof err) == MDM_ERR_IO && strstr(err, "model.safetensors"));
}

static void cleanup(void) {
    const char *names[] = {"config.json", "vocab.tsv", "model.safetensors"};
    char path[128];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(dir);
}

int main(void) {
    RUN(round_trip_micro);
    RUN(round_trip_tiny);
    RUN(deterministic);
    RUN(model_view);
    strcpy(dir, "/tmp/mdm-test-ckpt-XXXXXX");
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp\n");
        return 1;
    }
    RUN(checkpoint_converts);
    RUN(checkpoint_refusals);
    cleanup();
    CHECK_EXIT();
}
