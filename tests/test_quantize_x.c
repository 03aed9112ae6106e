/* The activation quantizers of the x86 int8 matmuls (quantize_x.h) against
 * a plain C statement of their layout: per token and 32-column block,
 * amax = max |x|, d = amax / 127, id = d != 0 ? 1 / d : 0, q = x * id
 * rounded to nearest even (an int32, INT32_MIN when out of range, as
 * cvtps2dq), bytes = q saturated to int8, sum = the int32 sum of q
 * (wrapping); groups of G tokens, bytes [k4][lane][4], scales [lane],
 * sums [lane], lanes past T zero.  Byte for byte, for ragged T (lanes
 * past T in the last group), and for blocks whose scale inverse overflows
 * or that hold inf (the bytes saturate there and the sums keep q's). */
#include "check.h"
#include "kernel_sets.h"
#include "kernels/dispatch.h"
#include "kernels/x86/quantize_x.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
static float uniform(uint64_t *s) { /* [-1, 1] */
    return (float)(lcg_next(s) % 20001) / 10000.0f - 1.0f;
}

static int32_t cvt(float f) {
    return f >= -2147483648.0f && f < 2147483648.0f ? (int32_t)lrintf(f) : INT32_MIN;
}

/* The layout in plain C, G tokens per group. */
static void quantize_ref(unsigned char *xq, const float *x, int T, int K, int G) {
    const int nb = K / 32, block = 40 * G;
    memset(xq, 0, (size_t)((T + G - 1) / G) * nb * block);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < nb; b++) {
            const float *v = x + (size_t)t * K + b * 32;
            unsigned char *g = xq + ((size_t)(t / G) * nb + b) * block;
            const int lane = t % G;
            float amax = 0.0f;
            for (int k = 0; k < 32; k++)
                amax = fmaxf(amax, fabsf(v[k]));
            const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
            uint32_t sum = 0;
            for (int k = 0; k < 32; k++) {
                const int32_t q = cvt(v[k] * id);
                sum += (uint32_t)q;
                const int8_t byte = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
                memcpy(g + (k / 4) * 4 * G + lane * 4 + k % 4, &byte, 1);
            }
            const int32_t s = (int32_t)sum;
            memcpy(g + 32 * G + lane * 4, &d, 4);
            memcpy(g + 36 * G + lane * 4, &s, 4);
        }
}

/* x: mostly uniform at a per-token magnitude (1e-30 .. 1e30), some
 * all-zero blocks; edge: also denormal blocks (1 / d overflows), inf and
 * values near FLT_MAX. */
static void fill(float *x, int T, int K, int edge, uint64_t *rs) {
    for (int t = 0; t < T; t++) {
        const float mag = powf(10.0f, (float)((int)(lcg_next(rs) % 61) - 30));
        for (int b = 0; b < K / 32; b++) {
            const unsigned kind = lcg_next(rs) % 16;
            float *v = x + (size_t)t * K + b * 32;
            for (int k = 0; k < 32; k++) {
                float u = uniform(rs) * mag;
                if (kind == 0)
                    u = 0.0f;
                else if (edge && kind == 1)
                    u = uniform(rs) * 1e-40f;
                else if (edge && kind == 2 && k == 5)
                    u = lcg_next(rs) & 1 ? INFINITY : -INFINITY;
                else if (edge && kind == 3)
                    u = uniform(rs) * 3.0e38f;
                v[k] = u;
            }
        }
    }
}

typedef void quantize_fn(unsigned char *xq, const float *x, int T, int K);

static void check_quantizer(const char *set, quantize_fn *fn, int G) {
    if (!find_set(set)) {
        printf("SKIP test_quantize_x_%s: no %s set on this CPU\n", set, set);
        return;
    }
    check_failed_case = 0;
    static const int Ts[] = {1, 7, 8, 9, 15, 16, 17, 35, 323}, Ks[] = {32, 96, 1024};
    uint64_t rs = 7;
    int cases = 0;
    for (int edge = 0; edge < 2; edge++)
        for (int a = 0; a < 9; a++)
            for (int c = 0; c < 3; c++) {
                const int T = Ts[a], K = Ks[c];
                const size_t bytes = (size_t)((T + G - 1) / G) * (K / 32) * 40 * G;
                float *x = malloc((size_t)T * K * sizeof *x);
                unsigned char *got = aligned_alloc(64, (bytes + 63) / 64 * 64);
                unsigned char *want = malloc(bytes);
                fill(x, T, K, edge, &rs);
                memset(got, 0xa5, bytes); /* every byte must be written */
                fn(got, x, T, K);
                quantize_ref(want, x, T, K, G);
                size_t at = 0;
                while (at < bytes && got[at] == want[at])
                    at++;
                CHECKF(at == bytes, "%s T=%d K=%d edge=%d: first difference at byte %zu "
                                    "(group %zu, block offset %zu)",
                       set, T, K, edge, at, at / ((size_t)(K / 32) * 40 * G),
                       at % ((size_t)40 * G));
                free(x), free(got), free(want);
                cases++;
            }
    printf("%s test_quantize_x_%s (%d shapes)\n", check_failed_case ? "FAIL" : "PASS", set,
           cases);
    check_failures_total += check_failed_case;
}

int main(void) {
    check_quantizer("avx512", mdm_quantize_x16_avx512, 16);
    check_quantizer("avx2", mdm_quantize_x8_avx2, 8);
    CHECK_EXIT();
}
#else
int main(void) {
    SKIP("test_quantize_x", "the x86 int8 layouts only (not x86-64)");
    (void)check_failed_case;
    CHECK_EXIT();
}
#endif
