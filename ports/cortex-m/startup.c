/* Reset and the vector table of an Armv7-M / Armv8-M core: copy .data,
 * zero .bss, paint the stack (for the peak measurement), enable the FPU,
 * run main, exit through semihosting.  SysTick counts its wraps for
 * board.c's clock. */
#include "board.h"
#include "semihost.h"
#include <stdint.h>
#include <string.h>

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];
int main(void);

#define STACK_PAINT 0x5afec0deu

void Reset_Handler(void) __attribute__((noreturn));
static void fault(void) {
    sh_write("fault\n");
    sh_exit(0);
}

volatile uint32_t fw_systick_wraps;
#if defined(FW_PROFILE)
/* The profiler wants the interrupted PC: word 6 of the frame the core
 * pushed, found from SP before the handler pushes anything itself. */
__attribute__((naked)) static void SysTick_Handler(void) {
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n"
                     "b fw_profile_tick");
}
#else
static void SysTick_Handler(void) { fw_systick_wraps++; }
#endif

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, Reset_Handler, fault, fault, fault, fault, fault, 0, 0, 0, 0,
    fault, fault, 0, fault, SysTick_Handler,
};

/* Fills the stack below the caller's frame; the deepest word that changed
 * later tells the peak. */
static void __attribute__((noinline)) paint_stack(void) {
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_limit; p < sp - 16; p++)
        *p = STACK_PAINT;
}

size_t fw_stack_peak(void) {
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((const char *)__stack_top - (const char *)p);
}

size_t fw_stack_size(void) { return (size_t)((char *)__stack_top - (char *)__stack_limit); }

void Reset_Handler(void) {
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11 (the FPU) */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
    paint_stack();
    sh_exit(main() == 0);
}
