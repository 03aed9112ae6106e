/* The machine's peaks, measured: F32 FMA and int8 dot products (AVX-512
 * VNNI vpdpbusd on x86; NEON FMA and sdot on ARM), each as many
 * independent accumulator chains as hide the latency, on n threads. */
#include "bench.h"
#include <pthread.h>
#include <time.h>

#define ITERS 20000000L

#if defined(__x86_64__)
#include <immintrin.h>
#define TGT __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))

TGT static double fma_loop(long iters) {
    __m512 a[20];
    const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 20; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 20
        for (int i = 0; i < 20; i++) /* unrolled: the chains live in registers */
            a[i] = _mm512_fmadd_ps(a[i], m, b);
    }
    float s = 0;
    for (int i = 0; i < 20; i++)
        s += _mm512_reduce_add_ps(a[i]);
    return s;
}

TGT static double dot_loop(long iters) {
    __m512i a[20];
    const __m512i u = _mm512_set1_epi8(1), v = _mm512_set1_epi8(-1);
    for (int i = 0; i < 20; i++)
        a[i] = _mm512_set1_epi32(i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 20
        for (int i = 0; i < 20; i++)
            a[i] = _mm512_dpbusd_epi32(a[i], u, v);
    }
    int s = 0;
    for (int i = 0; i < 20; i++)
        s += _mm512_reduce_add_epi32(a[i]);
    return s;
}
/* flops per loop iteration: 20 vectors x 16 lanes x 2; int8 ops: 20 x 64 x 2 */
static const double FMA_OPS = 20.0 * 16 * 2, DOT_OPS = 20.0 * 64 * 2;
static int have_peak(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}
#elif defined(__ARM_NEON)
#include <arm_neon.h>
static double fma_loop(long iters) {
    float32x4_t a[12];
    const float32x4_t m = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-7f);
    for (int i = 0; i < 12; i++)
        a[i] = vdupq_n_f32((float)i);
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
#if defined(__aarch64__)
            a[i] = vfmaq_f32(b, a[i], m);
#else
            a[i] = vmlaq_f32(b, a[i], m);
#endif
    float s = 0;
    for (int i = 0; i < 12; i++)
        s += vgetq_lane_f32(a[i], 0);
    return s;
}
static double dot_loop(long iters) {
    int32x4_t a[12];
    const int8x16_t u = vdupq_n_s8(1), v = vdupq_n_s8(-1);
    for (int i = 0; i < 12; i++)
        a[i] = vdupq_n_s32(i);
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
#if defined(__ARM_FEATURE_DOTPROD)
            a[i] = vdotq_s32(a[i], u, v);
#else
            a[i] = vpadalq_s16(a[i], vmull_s8(vget_low_s8(u), vget_low_s8(v)));
#endif
    int s = 0;
    for (int i = 0; i < 12; i++)
        s += vgetq_lane_s32(a[i], 0);
    return s;
}
static const double FMA_OPS = 12.0 * 4 * 2;
#if defined(__ARM_FEATURE_DOTPROD)
static const double DOT_OPS = 12.0 * 16 * 2;
#else
static const double DOT_OPS = 12.0 * 8 * 2;
#endif
static int have_peak(void) { return 1; }
#else
static double fma_loop(long iters) { return (double)iters; }
static double dot_loop(long iters) { return (double)iters; }
static const double FMA_OPS = 0, DOT_OPS = 0;
static int have_peak(void) { return 0; }
#endif

typedef struct {
    int dot;
    long iters;
    double sink, seconds;
} peak_job;

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Timed by the thread's own CPU clock: other processes on a shared machine
 * take time slices, not instructions per cycle. */
static void *peak_thread(void *v) {
    peak_job *j = v;
    double t0 = thread_cpu();
    j->sink = j->dot ? dot_loop(j->iters) : fma_loop(j->iters);
    j->seconds = thread_cpu() - t0;
    return NULL;
}

/* G(FL)OP/s of the loop on n threads. */
static double peak_run(int dot, int n, long iters) {
    pthread_t tid[64];
    peak_job job[64];
    for (int i = 0; i < n; i++) {
        job[i] = (peak_job){dot, iters, 0, 0};
        pthread_create(&tid[i], NULL, peak_thread, &job[i]);
    }
    double rate = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        rate += (dot ? DOT_OPS : FMA_OPS) * (double)iters / job[i].seconds / 1e9;
    }
    return rate;
}

int bench_peaks(int n_threads, double *fma, double *dot, long scale) {
    if (!have_peak())
        return 0;
    long iters = ITERS / 4 / scale;
    peak_run(0, 1, iters / 10); /* warm the clocks up */
    *fma = *dot = 0;
    for (int r = 0; r < 5; r++) { /* best of 5: other processes only ever slow a run down */
        double f = peak_run(0, n_threads, iters), d = peak_run(1, n_threads, iters);
        *fma = f > *fma ? f : *fma;
        *dot = d > *dot ? d : *dot;
    }
    return 1;
}
