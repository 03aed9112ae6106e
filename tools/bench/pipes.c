/* mdm-bench-pipes: which AVX-512 instructions compete with vpdpbusd and
 * with FMAs for issue on this CPU, the question behind every op-count
 * bound of the int8 tile and the scan (README: kernels).
 *
 * A loop of 12 independent vpdpbusd (or FMA) chains is timed alone and
 * with 2 more instructions of one kind on registers of their own.  The
 * extra time, in units of the base instruction, is what each costs the
 * base: about 1 where both want the same pipes, near 0 where the other
 * issues beside it (a broadcast load, a convert, a scalef).  Each loop is
 * timed best of 5, the configurations alternated, in one process, so the
 * ratios hold while the clock drifts.  x86-64 with AVX-512 VNNI only. */
#define _POSIX_C_SOURCE 200809L
#include "tools/exit_status.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

/* No options: --help prints this, anything else is a usage error. */
static int usage_check(int argc, char **argv) {
    if (argc < 2)
        return -1;
    const int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: mdm-bench-pipes\n"
            "  which AVX-512 instructions share the issue pipes of vpdpbusd and of FMAs\n"
            "  (x86-64 with AVX-512 VNNI; elsewhere it says so); no options\n");
    return help ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ITERS 20000000L
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vnni"), noinline))

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define CHAIN(op, r) op " %%zmm20, %%zmm21, %%zmm" #r "\n\t"
#define CHAINS(op)                                                                               \
    CHAIN(op, 0) CHAIN(op, 1) CHAIN(op, 2) CHAIN(op, 3) CHAIN(op, 4) CHAIN(op, 5) CHAIN(op, 6)   \
    CHAIN(op, 7) CHAIN(op, 8) CHAIN(op, 9) CHAIN(op, 10) CHAIN(op, 11)
#define N_CHAINS 12 /* more than latency x issue width: the base loop is issue-bound */

/* One timed loop: base chains, then the extra pair (writes zmm12/13 only).
 * zmm20/21 hold 1.0f: no denormal or NaN operand slows a float op. */
#define LOOP(name, base, extra)                                                                  \
    AVX512 static double name(void) {                                                            \
        const float one = 1.0f;                                                                  \
        long n = ITERS;                                                                          \
        const double t = now();                                                                  \
        __asm__ volatile("vbroadcastss %[one], %%zmm20\n\t"                                      \
                         "vbroadcastss %[one], %%zmm21\n\t"                                      \
                         "1:\n\t" CHAINS(base) extra "dec %[n]\n\t"                              \
                         "jnz 1b\n\t"                                                            \
                         : [n] "+r"(n)                                                           \
                         : [one] "m"(one)                                                        \
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",       \
                           "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm20", "xmm21", "k1", "cc", "memory");              \
        return now() - t;                                                                        \
    }

#define PAIR(ins) ins " %%zmm20, %%zmm21, %%zmm12\n\t" ins " %%zmm21, %%zmm20, %%zmm13\n\t"
#define EXTRAS(X)                                                                                \
    X(none, "nothing", "")                                                                       \
    X(fma, "vfmadd231ps", PAIR("vfmadd231ps"))                                                   \
    X(mul, "vmulps", PAIR("vmulps"))                                                             \
    X(add, "vaddps", PAIR("vaddps"))                                                             \
    X(dpbusd, "vpdpbusd", PAIR("vpdpbusd"))                                                      \
    X(paddd, "vpaddd", PAIR("vpaddd"))                                                           \
    X(max, "vmaxps", PAIR("vmaxps"))                                                             \
    X(scalef, "vscalefps", PAIR("vscalefps"))                                                    \
    X(cvt, "vcvtdq2ps", "vcvtdq2ps %%zmm20, %%zmm12\n\tvcvtdq2ps %%zmm21, %%zmm13\n\t")            \
    X(round, "vrndscaleps", "vrndscaleps $8, %%zmm20, %%zmm12\n\tvrndscaleps $8, %%zmm21, %%zmm13\n\t") \
    X(reduce, "vreduceps", "vreduceps $9, %%zmm20, %%zmm12\n\tvreduceps $9, %%zmm21, %%zmm13\n\t") \
    X(bcast, "vpbroadcastd m32", "vpbroadcastd %[one], %%zmm12\n\tvpbroadcastd %[one], %%zmm13\n\t") \
    X(mov, "vmovdqa32 reg", "vmovdqa32 %%zmm20, %%zmm12\n\tvmovdqa32 %%zmm21, %%zmm13\n\t")        \
    X(div, "vdivps", PAIR("vdivps"))

#define DEFINE(tag, label, extra)                                                                \
    LOOP(dp_##tag, "vpdpbusd", extra)                                                            \
    LOOP(fm_##tag, "vfmadd231ps", extra)
EXTRAS(DEFINE)

typedef struct {
    const char *label;
    double (*dp)(void), (*fm)(void);
} extra_loop;

#define ENTRY(tag, label, extra) {label, dp_##tag, fm_##tag},
static const extra_loop loops[] = {EXTRAS(ENTRY)};
#define N_LOOPS (int)(sizeof loops / sizeof loops[0])

int main(int argc, char **argv) {
    const int u = usage_check(argc, argv);
    if (u >= 0)
        return u;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512vnni")) {
        puts("mdm-bench-pipes: this CPU has no AVX-512 VNNI; nothing to measure");
        return 0;
    }
    double dp[N_LOOPS], fm[N_LOOPS];
    for (int i = 0; i < N_LOOPS; i++)
        dp[i] = fm[i] = 1e30;
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < N_LOOPS; i++) {
            const double a = loops[i].dp(), b = loops[i].fm();
            dp[i] = a < dp[i] ? a : dp[i];
            fm[i] = b < fm[i] ? b : fm[i];
        }
    printf("cost of one more instruction beside 12 independent chains, in base instructions\n"
           "(1: same pipes as the base; 0: issues beside it); best of 5, alternated\n");
    printf("%-18s %12s %12s\n", "instruction", "vs vpdpbusd", "vs vfmadd");
    for (int i = 1; i < N_LOOPS; i++)
        printf("%-18s %12.2f %12.2f\n", loops[i].label, (dp[i] / dp[0] - 1) * N_CHAINS / 2,
               (fm[i] / fm[0] - 1) * N_CHAINS / 2);
    printf("base loops: 12 vpdpbusd %.2f ns, 12 vfmadd231ps %.2f ns per iteration\n",
           dp[0] / ITERS * 1e9, fm[0] / ITERS * 1e9);
    return 0;
}
#else
int main(int argc, char **argv) {
    const int u = usage_check(argc, argv);
    if (u >= 0)
        return u;
    puts("mdm-bench-pipes: x86-64 only; nothing to measure here");
    return 0;
}
#endif
