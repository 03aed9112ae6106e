/* Arm semihosting (BKPT 0xAB on M-profile): text to the debugger's (QEMU's)
 * console and the exit of the program. */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

void sh_write(const char *s);     /* a NUL-terminated string */
void sh_exit(int ok) __attribute__((noreturn)); /* ok: QEMU exits 0, else 1 */

#endif
