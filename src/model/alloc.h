/* Where model tables come from: the allocator in mdm_model_params, or the
 * port's heap (ports/port.h) when it has none. */
#ifndef MDM_MODEL_ALLOC_H
#define MDM_MODEL_ALLOC_H
#include "port.h"
#include <stdint.h>
#include <string.h>

typedef struct {
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} mdm_allocator;

static inline void *mdm_alloc(const mdm_allocator *a, size_t size) {
    return a->alloc ? a->alloc(a->user, size ? size : 1) : mdm_port_alloc(size);
}

/* count * size bytes (NULL on overflow), zeroed. */
static inline void *mdm_alloc_zero(const mdm_allocator *a, size_t count, size_t size) {
    if (count == 0)
        count = 1;
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = mdm_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

static inline void mdm_free(const mdm_allocator *a, void *p) {
    if (!p)
        return;
    if (!a->alloc)
        mdm_port_free(p);
    else if (a->free)
        a->free(a->user, p);
}
#endif
