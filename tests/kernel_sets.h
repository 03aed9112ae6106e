/* Small helpers of the kernel-set tests: a set by name, and a 32-bit LCG
 * for test data that is the same on every platform. */
#ifndef MDM_TEST_KERNEL_SETS_H
#define MDM_TEST_KERNEL_SETS_H
#include "kernels/dispatch.h"
#include <stdint.h>
#include <string.h>

/* The set of that name if this build has it and this CPU runs it, else NULL. */
static inline const mdm_kernels *find_set(const char *name) {
    const mdm_kernels *ks[8];
    int n = mdm_kernels_available(ks, 8);
    for (int i = 0; i < n; i++)
        if (strcmp(ks[i]->name, name) == 0)
            return ks[i];
    return NULL;
}

static inline uint32_t lcg_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}
#endif
