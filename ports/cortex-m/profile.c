/* A sampling profiler for the firmware (make qemu-m55 FW_PROFILE=1): each
 * SysTick wrap (64 Ki instructions under -icount) adds one to the bucket
 * of the interrupted PC, 16 bytes of code per bucket; fw_profile_dump
 * prints the buckets as "profile: TASK ADDRESS COUNT" lines (and clears them), which
 * tools/firmware/profile.py names by function with arm-none-eabi-nm. */
#include "board.h"
#include "semihost.h"

#if defined(FW_PROFILE)
#define BUCKET_SHIFT 4
#define N_BUCKETS 8192 /* 128 KB of code */

extern volatile uint32_t fw_systick_wraps;
extern const char __code_start[];
static uint16_t buckets[N_BUCKETS]; /* a task is ~10^4 samples */
static uint32_t outside;

void fw_profile_tick(const uint32_t *frame) {
    fw_systick_wraps++;
    uint32_t at = (frame[6] - (uint32_t)__code_start) >> BUCKET_SHIFT;
    if (at < N_BUCKETS)
        buckets[at]++;
    else
        outside++;
}

static void hex(char *p, uint32_t v) {
    for (int i = 7; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
    p[8] = '\0';
}

void fw_profile_dump(const char *task) {
    char a[9], c[9];
    for (uint32_t i = 0; i < N_BUCKETS; i++)
        if (buckets[i]) {
            hex(a, (uint32_t)__code_start + (i << BUCKET_SHIFT));
            hex(c, buckets[i]);
            sh_write("profile: "), sh_write(task), sh_write(" "), sh_write(a), sh_write(" ");
            sh_write(c), sh_write("\n");
            buckets[i] = 0;
        }
    hex(c, outside);
    sh_write("profile: "), sh_write(task), sh_write(" outside "), sh_write(c), sh_write("\n");
    outside = 0;
}
#else
void fw_profile_dump(const char *task) { (void)task; }
#endif
