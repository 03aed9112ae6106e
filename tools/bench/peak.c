/* The machine's peaks, measured: F32 FMA and int8 dot products (AVX-512
 * VNNI vpdpbusd on x86; NEON FMA and sdot on ARM), each as many
 * independent accumulator chains as hide the latency, on n threads; and on
 * x86 the int8 peaks of the AVX2 sets (bench_peaks_avx2): AVX-VNNI's
 * 256-bit vpdpbusd, and vpmaddubsw + vpmaddwd + vpaddd. */
#include "bench.h"
#include <pthread.h>
#include <time.h>

#define ITERS 20000000L

/* Twelve independent chains in twelve NAMED variables, not an array: GCC
 * kept an unrolled array of 20 accumulators partly on the stack, a store
 * and a reload in every iteration, and that loop measured 464 GOP/s int8
 * where the core does 830 (two vpdpbusd a cycle).  Twelve covers a
 * latency of 5 cycles at 2 a cycle, and fits ARMv7's 16 q registers with
 * the two operands. */
#define CHAIN_VARS a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11
#define EACH_CHAIN(OP)                                                                      \
    OP(a0); OP(a1); OP(a2); OP(a3); OP(a4); OP(a5); OP(a6); OP(a7); OP(a8); OP(a9); OP(a10); \
    OP(a11)
#define N_CHAINS 12.0

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define TGT __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))

TGT static double fma_loop(long iters) {
    const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 CHAIN_VARS;
    float i0 = 0;
#define INIT(a) a = _mm512_set1_ps(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#define STEP(a) a = _mm512_fmadd_ps(a, m, b)
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    float s = 0;
#define SUM(a) s += _mm512_reduce_add_ps(a)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}

TGT static double dot_loop(long iters) {
    const __m512i u = _mm512_set1_epi8(1), v = _mm512_set1_epi8(-1);
    __m512i CHAIN_VARS;
    int i0 = 0;
#define INIT(a) a = _mm512_set1_epi32(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#define STEP(a) a = _mm512_dpbusd_epi32(a, u, v)
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    int s = 0;
#define SUM(a) s += _mm512_reduce_add_epi32(a)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}
/* flops per loop iteration: 12 vectors x 16 lanes x 2; int8 ops: 12 x 64 x 2 */
static const double FMA_OPS = N_CHAINS * 16 * 2, DOT_OPS = N_CHAINS * 64 * 2;
static int have_peak(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

/* The AVX2 sets' int8 products (src/kernels/x86/avx2_int8_tile.h), in the
 * same twelve chains: AVX-VNNI's 256-bit vpdpbusd, and vpmaddubsw +
 * vpmaddwd into an int32 vpaddd (the avx2 set's Q8_0 tile also flips signs
 * with vpsignb, on other pipes).  KEEP (no instruction) holds each sum in
 * its register (with 16 vector registers GCC still spilled named ones),
 * and makes u look new to the compiler before every chain's multiply, so
 * that the multiplies, whose inputs are constants, are neither hoisted out
 * of the loop nor shared between chains. */
#define KEEP(v) __asm__("" : "+x"(v))
__attribute__((target("avx2,avxvnni"))) static double vnni256_loop(long iters) {
    const __m256i u = _mm256_set1_epi8(1), v = _mm256_set1_epi8(-1);
    __m256i CHAIN_VARS;
    int i0 = 0;
#define INIT(a) a = _mm256_set1_epi32(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#define STEP(a)                                                                              \
    do {                                                                                     \
        a = _mm256_dpbusd_avx_epi32(a, u, v);                                                \
        KEEP(a);                                                                             \
    } while (0)
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    int s = 0;
#define SUM(a) s += _mm256_extract_epi32(a, 0)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}

__attribute__((target("avx2"))) static double madd256_loop(long iters) {
    __m256i u = _mm256_set1_epi8(1);
    const __m256i v = _mm256_set1_epi8(-1), ones = _mm256_set1_epi16(1);
    __m256i CHAIN_VARS;
    int i0 = 0;
#define INIT(a) a = _mm256_set1_epi32(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#define STEP(a)                                                                              \
    do {                                                                                     \
        KEEP(u);                                                                             \
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(u, v), ones));       \
        KEEP(a);                                                                             \
    } while (0)
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    int s = 0;
#define SUM(a) s += _mm256_extract_epi32(a, 0)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}
/* int8 ops per loop iteration: 12 vectors x 32 bytes x 2 */
static const double AVX2_DOT_OPS = N_CHAINS * 32 * 2;
static int have_avx_vnni(void) {
    unsigned a, b, c, d;
    return __builtin_cpu_supports("avx2") && __get_cpuid_count(7, 1, &a, &b, &c, &d) &&
           ((a >> 4) & 1);
}
static int have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#elif defined(__ARM_NEON)
#include <arm_neon.h>
static double fma_loop(long iters) {
    const float32x4_t m = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-7f);
    float32x4_t CHAIN_VARS;
    float i0 = 0;
#define INIT(a) a = vdupq_n_f32(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#if defined(__aarch64__)
#define STEP(a) a = vfmaq_f32(b, a, m)
#else
#define STEP(a) a = vmlaq_f32(b, a, m)
#endif
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    float s = 0;
#define SUM(a) s += vgetq_lane_f32(a, 0)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}
static double dot_loop(long iters) {
    const int8x16_t u = vdupq_n_s8(1), v = vdupq_n_s8(-1);
    int32x4_t CHAIN_VARS;
    int i0 = 0;
#define INIT(a) a = vdupq_n_s32(i0++)
    EACH_CHAIN(INIT);
#undef INIT
#if defined(__ARM_FEATURE_DOTPROD)
#define STEP(a) a = vdotq_s32(a, u, v)
#else
#define STEP(a) a = vpadalq_s16(a, vmull_s8(vget_low_s8(u), vget_low_s8(v)))
#endif
    for (long it = 0; it < iters; it++) {
        EACH_CHAIN(STEP);
    }
#undef STEP
    int s = 0;
#define SUM(a) s += vgetq_lane_s32(a, 0)
    EACH_CHAIN(SUM);
#undef SUM
    return s;
}
static const double FMA_OPS = N_CHAINS * 4 * 2;
#if defined(__ARM_FEATURE_DOTPROD)
static const double DOT_OPS = N_CHAINS * 16 * 2;
#else
static const double DOT_OPS = N_CHAINS * 8 * 2;
#endif
static int have_peak(void) { return 1; }
#else
static double fma_loop(long iters) { return (double)iters; }
static double dot_loop(long iters) { return (double)iters; }
static const double FMA_OPS = 0, DOT_OPS = 0;
static int have_peak(void) { return 0; }
#endif
#if !defined(__x86_64__)
static double vnni256_loop(long iters) { return (double)iters; }
static double madd256_loop(long iters) { return (double)iters; }
static const double AVX2_DOT_OPS = 0;
static int have_avx_vnni(void) { return 0; }
static int have_avx2(void) { return 0; }
#endif

enum { K_FMA, K_DOT, K_VNNI256, K_MADD256 }; /* the loop a job runs */

typedef struct {
    int kind;
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
    j->sink = j->kind == K_DOT       ? dot_loop(j->iters)
              : j->kind == K_VNNI256 ? vnni256_loop(j->iters)
              : j->kind == K_MADD256 ? madd256_loop(j->iters)
                                     : fma_loop(j->iters);
    j->seconds = thread_cpu() - t0;
    return NULL;
}

/* G(FL)OP/s of the loop on n threads. */
static double peak_run(int kind, int n, long iters) {
    pthread_t tid[64];
    peak_job job[64];
    for (int i = 0; i < n; i++) {
        job[i] = (peak_job){kind, iters, 0, 0};
        pthread_create(&tid[i], NULL, peak_thread, &job[i]);
    }
    double rate = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        const double ops = kind == K_DOT ? DOT_OPS : kind == K_FMA ? FMA_OPS : AVX2_DOT_OPS;
        rate += ops * (double)iters / job[i].seconds / 1e9;
    }
    return rate;
}

int bench_peaks(int n_threads, double *fma, double *dot, long scale) {
    if (!have_peak())
        return 0;
    long iters = ITERS / 4 / scale;
    peak_run(K_FMA, 1, iters / 10); /* warm the clocks up */
    *fma = *dot = 0;
    for (int r = 0; r < 5; r++) { /* best of 5: other processes only ever slow a run down */
        double f = peak_run(K_FMA, n_threads, iters), d = peak_run(K_DOT, n_threads, iters);
        *fma = f > *fma ? f : *fma;
        *dot = d > *dot ? d : *dot;
    }
    return 1;
}

int bench_peaks_avx2(int n_threads, double *vnni, double *madd, long scale) {
    *vnni = *madd = 0;
    const int have = (have_avx_vnni() ? 1 : 0) | (have_avx2() ? 2 : 0);
    if (!have)
        return 0;
    long iters = ITERS / 4 / scale;
    peak_run(have & 1 ? K_VNNI256 : K_MADD256, 1, iters / 10); /* warm the clocks up */
    for (int r = 0; r < 5; r++) { /* best of 5, as bench_peaks */
        const double v = have & 1 ? peak_run(K_VNNI256, n_threads, iters) : 0;
        const double m = have & 2 ? peak_run(K_MADD256, n_threads, iters) : 0;
        *vnni = v > *vnni ? v : *vnni;
        *madd = m > *madd ? m : *madd;
    }
    return have;
}
