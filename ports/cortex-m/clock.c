/* An instruction counter from SysTick.  Under QEMU with -icount shift=0 an
 * instruction takes 1 ns of virtual time and SysTick runs at the core clock,
 * so one tick is a fixed number of instructions; fw_clock_start measures it
 * with a loop of known length rather than trusting a board constant. */
#include "board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#if defined(FW_PROFILE) /* a sample every 2048 ticks (64 Ki instructions on these boards) */
#define RELOAD 0x7FFu
#else
#define RELOAD 0xFFFFFFu
#endif

extern volatile uint32_t fw_systick_wraps;
static uint64_t insn_per_tick_x1000; /* fixed point */
uint64_t fw_clock_ticks_per_cal;

static uint64_t ticks(void) {
    uint32_t w, v;
    do { /* a wrap between the two reads would pair them wrongly */
        w = fw_systick_wraps;
        v = SYST_CVR;
    } while (w != fw_systick_wraps);
    return (uint64_t)w * (RELOAD + 1) + (RELOAD - v);
}

/* 2 instructions per iteration (subs, bne), plus a few around it. */
static void __attribute__((noinline)) spin(uint32_t n) {
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
}

/* Ticks that a loop of 2n instructions takes with SysTick on `clock`. */
static uint64_t calibrate(uint32_t clock, uint32_t n) {
    SYST_CSR = 0;
    SYST_RVR = RELOAD;
    SYST_CVR = 0;
    SYST_CSR = clock | 3; /* interrupt on wrap, enable */
    spin(1000);           /* past the first reload of the zeroed counter */
    uint64_t t0 = ticks();
    spin(n);
    return ticks() - t0;
}

void fw_clock_start(void) {
    const uint32_t n = 4000000;
    uint64_t dt = calibrate(4, n); /* the core clock */
    if (dt < 1000)                 /* not modelled on this board: the reference clock */
        dt = calibrate(0, n);
    fw_clock_ticks_per_cal = dt;
    insn_per_tick_x1000 = dt ? (2ull * n * 1000 + dt / 2) / dt : 0;
}

uint64_t fw_instructions(void) { return ticks() * insn_per_tick_x1000 / 1000; }
