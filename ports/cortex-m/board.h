/* What the firmware needs from its board: a clock in instructions (QEMU
 * -icount makes SysTick count executed instructions) and the stack watermark. */
#ifndef FW_BOARD_H
#define FW_BOARD_H
#include <stddef.h>
#include <stdint.h>

void fw_clock_start(void);
/* Instructions executed since fw_clock_start, to within one SysTick period. */
uint64_t fw_instructions(void);

/* FW_PROFILE builds: print the PC samples taken since the last call
 * (profile.c); otherwise nothing. */
void fw_profile_dump(const char *task);

size_t fw_stack_peak(void); /* deepest stack use since reset, in bytes */
size_t fw_stack_size(void);

#endif
