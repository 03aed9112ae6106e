/* Threads do not change results: a whole denoiser forward (the fused
 * layer runs of src/mamba/block_par.c, the scan, the heads) and a VAE
 * decode have the same bits on 1, 2 and 3 threads for every kernel set
 * and weight type, on 1 thread with its share taken through each layer
 * stage in chunks of 16 tokens (the long-sequence path), and on 2 and 3
 * threads whose token shares start from skewed speeds (unequal, off the
 * multiples of 16; the shares then follow the measured speeds).  The golden model
 * is small, so the contexts' threshold below which ops stay on one thread
 * is set to 0 to make every run split. */
#include "check.h"
#include "context.h"
#include "kernels/dispatch.h"
#include "test_runtime_util.h"

static void run(mdm_model *m, const char *set, int threads, int chunk, const float *speed,
                float *v, float *s, uint8_t *px, mdm_status *st) {
    mdm_ctx_params p = mdm_ctx_params_init();
    p.n_threads = threads;
    p.kernels = set;
    mdm_ctx *c = NULL;
    *st = mdm_ctx_create(m, &p, NULL, 0, &c);
    if (*st != MDM_OK)
        return;
    c->ex.min_parallel_work = 0;
    c->ex.stage_chunk = chunk;
    if (speed && c->ex.speed) /* a skewed start: shares far from equal, off multiples of 16 */
        for (int i = 0; i < threads; i++)
            c->ex.speed[i] = speed[i];
    mdm_model_info in;
    mdm_model_get_info(m, &in);
    const size_t side = (size_t)(in.image_size / in.vae_factor);
    const size_t nl = (size_t)in.latent_channels * side * side;
    float lat[2 * 256];
    int32_t tok[2 * 64];
    for (size_t i = 0; i < 2 * nl && i < 512; i++)
        lat[i] = (float)((i * 7919) % 200) / 100.0f - 1.0f;
    for (int i = 0; i < 2 * in.text_len && i < 128; i++)
        tok[i] = (i * 31) % (in.vocab_size + 1);
    const float ti[2] = {0.3f, 0.9f}, tt[2] = {0.7f, 0.2f};
    const int32_t task[2] = {MDM_TASK_T2I, MDM_TASK_CAPTION};
    if (2 * nl > 512 || 2 * in.text_len > 128)
        *st = MDM_ERR_INTERNAL;
    if (*st == MDM_OK)
        *st = mdm_denoise(c, 2, lat, tok, ti, tt, task, v, s);
    if (*st == MDM_OK)
        *st = mdm_decode_latent(c, lat, px, (size_t)in.image_size * in.image_size *
                                                in.image_channels);
    mdm_ctx_free(c);
}

static void test_threads_same_bits(void) {
    static const mdm_type types[] = {MDM_TYPE_F32, MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    const mdm_kernels *ks[8];
    const int n_sets = mdm_kernels_available(ks, 8);
    int compared = 0;
    for (int ty = 0; ty < 3; ty++) {
        size_t size = 0;
        uint8_t *file = golden_model(types[ty], &size);
        mdm_model *m = NULL;
        char err[256];
        CHECK(file && mdm_model_open_memory(file, size, NULL, &m, err, sizeof err) == MDM_OK);
        if (!m) {
            free(file);
            continue;
        }
        mdm_model_info in;
        mdm_model_get_info(m, &in);
        CHECKF(in.seq_len > 2 * 16, "%d tokens: chunks of 16 would not be used", in.seq_len);
        const size_t nv = 2 * 256, ns = 2 * (size_t)in.text_len * (in.vocab_size + 1);
        const size_t np = (size_t)in.image_size * in.image_size * in.image_channels;
        for (int k = 0; k < n_sets; k++) {
            enum { RUNS = 6 };
            float *v[RUNS], *s[RUNS];
            uint8_t *px[RUNS];
            mdm_status st[RUNS];
            /* 1, 2, 3 threads whole; 1 thread in chunks; 2 and 3 threads with
             * shares sized by skewed speeds (block_par.c's balance) */
            static const int threads[RUNS] = {1, 2, 3, 1, 2, 3};
            static const float skew2[2] = {1.0f, 4.0f}, skew3[3] = {3.0f, 0.3f, 1.1f};
            for (int t = 0; t < RUNS; t++) {
                v[t] = calloc(nv, 4), s[t] = calloc(ns, 4), px[t] = calloc(np, 1);
                run(m, ks[k]->name, threads[t], t == 3 ? 16 : 0,
                    t == 4 ? skew2 : t == 5 ? skew3 : NULL, v[t], s[t], px[t], &st[t]);
            }
            if (st[0] == MDM_ERR_UNSUPPORTED) { /* a set this CPU or build lacks */
                for (int t = 0; t < RUNS; t++)
                    free(v[t]), free(s[t]), free(px[t]);
                continue;
            }
            for (int t = 0; t < RUNS; t++)
                CHECKF(st[t] == MDM_OK, "%s run %d: %s", ks[k]->name, t + 1, mdm_strerror(st[t]));
            for (int t = 1; t < RUNS; t++) {
                CHECKF(memcmp(v[0], v[t], nv * 4) == 0, "%s type %d: velocity, run %d",
                       ks[k]->name, types[ty], t + 1);
                CHECKF(memcmp(s[0], s[t], ns * 4) == 0, "%s type %d: log-scores, run %d",
                       ks[k]->name, types[ty], t + 1);
                CHECKF(memcmp(px[0], px[t], np) == 0, "%s type %d: pixels, run %d", ks[k]->name,
                       types[ty], t + 1);
                compared++;
            }
            for (int t = 0; t < RUNS; t++)
                free(v[t]), free(s[t]), free(px[t]);
        }
        mdm_model_free(m);
        free(file);
    }
    printf("  %d thread counts compared bit for bit\n", compared);
    CHECK(compared >= 6);
}

int main(void) {
    RUN(test_threads_same_bits);
    CHECK_EXIT();
}
