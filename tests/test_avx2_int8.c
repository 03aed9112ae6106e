/* The int8 matmuls of the x86 sets (src/kernels/x86/avx2_int8.c,
 * matmul.c) add exact integer products per 32-block and scale them in the
 * same order, so avx2 (vpmaddubsw), avx2-vnni (vpdpbusd) and avx512 must
 * agree bit for bit on Q8_0 and Q4_0 weights; and against the scalar set
 * within the bound of 8-bit activations (tests/test_simd.c checks every
 * shape against it too).  Extreme values (every weight and activation at
 * +-127) are where an unsigned-offset vpmaddubsw would saturate int16;
 * they quantize exactly, so the result is the scalar set's to rounding. */
#include "check.h"
#include "kernel_sets.h"
#include "kernels/dispatch.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* out rows of K values: random in [-1, 1], or +-1 only (extreme). */
static void *weights(mdm_type type, int K, int out, int extreme, uint64_t *rs, mdm_tensor *t) {
    const size_t rb = mdm_type_row_bytes(type, (size_t)K);
    unsigned char *data = malloc(rb * (size_t)out);
    float *row = malloc((size_t)K * sizeof *row);
    for (int o = 0; o < out; o++) {
        for (int k = 0; k < K; k++)
            row[k] = extreme ? (lcg_next(rs) & 1 ? 1.0f : -1.0f)
                             : (float)(lcg_next(rs) % 2001) / 1000.0f - 1.0f;
        if (type == MDM_TYPE_Q8_0)
            mdm_quantize_row_q8_0(row, (void *)(data + (size_t)o * rb), (size_t)K);
        else
            mdm_quantize_row_q4_0(row, (void *)(data + (size_t)o * rb), (size_t)K);
    }
    free(row);
    *t = (mdm_tensor){data, type, {K, out, 1, 1}, 2, rb * (size_t)out};
    return data;
}

static void test_int8_sets_agree(void) {
    static const char *const names[] = {"avx2", "avx2-vnni", "avx512"};
    const mdm_kernels *sets[3];
    int n = 0;
    for (int i = 0; i < 3; i++)
        if ((sets[n] = find_set(names[i])))
            n++;
    if (n < 2) {
        SKIP("test_int8_sets_agree", "fewer than two x86 int8 sets on this CPU");
        check_failed_case = -1;
        return;
    }
    /* T = 600 at K = 1024 takes two spans of token groups (512 KB each) */
    static const int Ts[] = {1, 7, 8, 9, 70, 600}, Ks[] = {32, 96, 1024}, outs[] = {1, 3, 4, 9, 20};
    static const mdm_type types[] = {MDM_TYPE_Q8_0, MDM_TYPE_Q4_0};
    uint64_t rs = 42;
    int cases = 0;
    for (int ex = 0; ex < 2; ex++)
        for (int ty = 0; ty < 2; ty++)
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 3; b++)
                    for (int c = 0; c < 5; c++) {
                        const int T = Ts[a], K = Ks[b], out = outs[c];
                        mdm_tensor w;
                        void *data = weights(types[ty], K, out, ex, &rs, &w);
                        float *x = malloc((size_t)T * K * sizeof *x);
                        float *bias = malloc((size_t)out * sizeof *bias);
                        for (int i = 0; i < T * K; i++) /* extreme: every |x| is its block's max */
                            x[i] = ex ? (lcg_next(&rs) & 1 ? 3.0f : -3.0f)
                                      : (float)(lcg_next(&rs) % 4001) / 1000.0f - 2.0f;
                        for (int i = 0; i < out; i++)
                            bias[i] = (float)i * 0.25f;
                        void *ws = malloc(mdm_kernels_ws_bytes(T, K, 0, 0, 0));
                        float *y[3], *ref = malloc((size_t)T * out * sizeof *ref);
                        float *row = malloc((size_t)K * sizeof *row);
                        mdm_matmul(ref, x, &w, bias, T, row);
                        for (int s = 0; s < n; s++) {
                            y[s] = malloc((size_t)T * out * sizeof *y[s]);
                            sets[s]->matmul(y[s], x, &w, bias, T, ws);
                        }
                        for (int s = 1; s < n; s++)
                            CHECKF(memcmp(y[0], y[s], (size_t)T * out * 4) == 0,
                                   "%s vs %s %s T=%d K=%d out=%d extreme=%d", sets[0]->name,
                                   sets[s]->name, mdm_type_name(types[ty]), T, K, out, ex);
                        /* extreme inputs quantize exactly: the scalar set's sums, to rounding */
                        double worst = 0, mag = 1;
                        for (int i = 0; i < T * out; i++) {
                            worst = fmax(worst, fabs((double)y[0][i] - ref[i]));
                            mag = fmax(mag, fabs((double)ref[i]));
                        }
                        if (ex)
                            CHECKF(worst <= 1e-5 * mag, "%s %s extreme T=%d K=%d: err %.3g",
                                   sets[0]->name, mdm_type_name(types[ty]), T, K, worst);
                        for (int s = 0; s < n; s++)
                            free(y[s]);
                        free(data), free(x), free(bias), free(ws), free(ref), free(row);
                        cases++;
                    }
    printf("  %d shapes, sets:", cases);
    for (int s = 0; s < n; s++)
        printf(" %s", sets[s]->name);
    printf("\n");
}

int main(void) {
    check_failed_case = 0;
    test_int8_sets_agree();
    if (check_failed_case >= 0) {
        printf("%s test_int8_sets_agree\n", check_failed_case ? "FAIL" : "PASS");
        check_failures_total += check_failed_case;
    }
    CHECK_EXIT();
}
