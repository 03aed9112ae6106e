/* The two-ended arena of arena.h. */
#include "arena.h"
#include <stdint.h>

static size_t round_up(size_t n) {
    return (n + (MDM_ARENA_ALIGN - 1)) & ~(size_t)(MDM_ARENA_ALIGN - 1);
}

void mdm_arena_init(mdm_arena *a, void *buffer, size_t size) {
    *a = (mdm_arena){0};
    if (!buffer) {
        a->size = SIZE_MAX / 2; /* measuring: room for any honest request */
        return;
    }
    /* Align both ends so that every block handed out is aligned. */
    const uintptr_t p = (uintptr_t)buffer, mask = MDM_ARENA_ALIGN - 1, start = (p + mask) & ~mask;
    size_t skip = (size_t)(start - p);
    if (size < skip) {
        a->failed = 1;
        return;
    }
    a->base = (unsigned char *)start;
    a->size = (size - skip) & ~(size_t)(MDM_ARENA_ALIGN - 1);
}

/* Rounds n up and checks that lo + hi stays within size. */
static int take(mdm_arena *a, size_t n, size_t *used) {
    if (a->failed || n > a->size)
        return a->failed = 1, 0;
    size_t r = round_up(n);
    if (r > a->size - a->lo - a->hi)
        return a->failed = 1, 0;
    *used += r;
    return 1;
}

void *mdm_arena_persist(mdm_arena *a, size_t n) {
    size_t at = a->lo;
    if (!take(a, n, &a->lo) || !a->base)
        return NULL;
    return a->base + at;
}

void *mdm_arena_scratch(mdm_arena *a, size_t n) {
    if (!take(a, n, &a->hi))
        return NULL;
    if (a->hi > a->hi_peak)
        a->hi_peak = a->hi;
    return a->base ? a->base + a->size - a->hi : NULL;
}

float *mdm_arena_floats(mdm_arena *a, size_t n) {
    if (n > SIZE_MAX / sizeof(float))
        return a->failed = 1, (float *)NULL;
    return mdm_arena_scratch(a, n * sizeof(float));
}

float *mdm_arena_persist_floats(mdm_arena *a, size_t n) {
    if (n > SIZE_MAX / sizeof(float))
        return a->failed = 1, (float *)NULL;
    return mdm_arena_persist(a, n * sizeof(float));
}
