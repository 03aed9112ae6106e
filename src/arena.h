/* One caller buffer, two ends (after TensorFlow Lite Micro's arena):
 * persistent data grows up from the bottom and lives as long as the context;
 * per-call scratch grows down from the top and is released by resetting to a
 * mark.  Nothing else in the inference path allocates.
 *
 * An arena over a NULL base only measures: every request "succeeds" with a
 * NULL pointer and is counted, so that the very code that carves buffers at
 * run time also sizes the context (no second set of size formulas to drift).
 * Code that carves must therefore not touch what it carved until the carve
 * is over and mdm_arena_ok() said yes. */
#ifndef MDM_ARENA_H
#define MDM_ARENA_H
#include <stddef.h>

#define MDM_ARENA_ALIGN 64 /* a cache line; also enough for any SIMD load */

typedef struct {
    unsigned char *base; /* aligned start; NULL when measuring */
    size_t size;         /* usable bytes from base */
    size_t lo;           /* persistent bytes used from the bottom */
    size_t hi;           /* scratch bytes used from the top */
    size_t hi_peak;      /* high-water mark of hi */
    int failed;          /* a request did not fit (or overflowed size_t) */
} mdm_arena;

/* Bytes to add to a measured total so that a buffer of any alignment fits. */
#define MDM_ARENA_SLACK (2 * MDM_ARENA_ALIGN)

/* buffer NULL: a measuring arena. */
void mdm_arena_init(mdm_arena *a, void *buffer, size_t size);

/* n bytes from the persistent (bottom) or scratch (top) end, aligned to
 * MDM_ARENA_ALIGN; NULL when measuring or when it does not fit (then the
 * arena is marked failed and stays so). */
void *mdm_arena_persist(mdm_arena *a, size_t n);
void *mdm_arena_scratch(mdm_arena *a, size_t n);

/* Typed shorthands; the count is checked for overflow. */
float *mdm_arena_floats(mdm_arena *a, size_t n);
float *mdm_arena_persist_floats(mdm_arena *a, size_t n);

/* Scratch marks: everything taken after mark() is given back by reset(),
 * which also forgets a request that did not fit (every carve checks
 * mdm_arena_ok before it uses what it carved). */
static inline size_t mdm_arena_mark(const mdm_arena *a) { return a->hi; }
static inline void mdm_arena_reset(mdm_arena *a, size_t mark) {
    a->hi = mark;
    a->failed = 0;
}

/* Whether every request since the last reset fitted. */
static inline int mdm_arena_ok(const mdm_arena *a) { return !a->failed; }

#endif
