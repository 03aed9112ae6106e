/* Semihosting calls: r0 = operation, r1 = argument, BKPT 0xAB. */
#include "semihost.h"

enum { SYS_WRITE0 = 0x04, SYS_EXIT = 0x18 };
enum { ADP_STOPPED_APPLICATION_EXIT = 0x20026, ADP_STOPPED_RUNTIME_ERROR = 0x20023 };

static int call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_write(const char *s) { call(SYS_WRITE0, s); }

void sh_exit(int ok) {
    /* On 32-bit targets the reason code itself is the argument. */
    call(SYS_EXIT, (const void *)(ok ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
    for (;;)
        ;
}
