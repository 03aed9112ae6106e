/* mdm-bench-kernels: per-op throughput of each kernel set at a preset's
 * shapes, next to the machine's measured peaks. */
#ifndef MDM_BENCH_H
#define MDM_BENCH_H
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process (all its threads). */
static inline double bench_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Measured F32 FMA and int8 dot-product peaks on n threads, G(FL)OP/s;
 * 0 when this build has no peak loop for the CPU.  scale > 1 shortens the
 * loops (for emulators). */
int bench_peaks(int n_threads, double *fma, double *dot, long scale);
/* The int8 peaks of the AVX2 sets on n threads, GOP/s: AVX-VNNI's 256-bit
 * vpdpbusd (vnni) and vpmaddubsw + vpmaddwd + vpaddd (madd), each 0 where
 * the CPU lacks it.  Returns 1 | 2 for those measured (0: none). */
int bench_peaks_avx2(int n_threads, double *vnni, double *madd, long scale);

#endif
