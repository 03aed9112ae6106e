/* The platform contract: everything mdm-rt needs from an operating system.
 * ports/posix/ implements it; a bare-metal port provides the same functions
 * (or none of them, and opens models from memory only). */
#ifndef MDM_PORT_H
#define MDM_PORT_H
#include <stddef.h>
#include "mdm_rt.h"

/* A read-only view of a whole file.  handle is the port's own state. */
typedef struct {
    const void *data; /* NULL for an empty file */
    size_t size;
    void *handle;
} mdm_port_mapping;

/* MDM_OK, MDM_ERR_IO (cannot open, stat or map; not a regular file) or
 * MDM_ERR_NO_MEMORY.  On failure *out is zeroed. */
mdm_status mdm_port_map_file(const char *path, mdm_port_mapping *out);
/* Harmless on a zeroed mapping. */
void mdm_port_unmap_file(mdm_port_mapping *m);

/* Memory for model tables (mdm_model_open_* without an allocator in its
 * params) and for contexts created without a buffer.  ports/posix: malloc
 * and free; ports/none: no heap (mdm_port_alloc returns NULL), so a
 * bare-metal caller passes its own allocator and context buffer. */
void *mdm_port_alloc(size_t size);
void mdm_port_free(void *p); /* NULL is harmless */

/* Threads: a pool of n - 1 workers plus the calling thread.  run() calls
 * fn(arg, i, n) once for each i in 0..n-1, i = 0 on the calling thread, and
 * returns when all n calls have returned.  A pool is used by one thread at a
 * time.  ports/posix/threads.c implements it with pthreads; a port without
 * threads (ports/none/threads.c) refuses n > 1 with MDM_ERR_UNSUPPORTED, and
 * the runtime then runs everything on the calling thread. */
typedef struct mdm_port_pool mdm_port_pool;
typedef void (*mdm_port_task)(void *arg, int i, int n);

/* n >= 1; n == 1 gives a pool that only runs on the caller.  MDM_OK,
 * MDM_ERR_NO_MEMORY, MDM_ERR_UNSUPPORTED or MDM_ERR_INVALID_ARG. */
mdm_status mdm_port_pool_create(int n, mdm_port_pool **out);
void mdm_port_pool_run(mdm_port_pool *p, mdm_port_task fn, void *arg);
int mdm_port_pool_size(const mdm_port_pool *p); /* n; 1 for NULL */
void mdm_port_pool_free(mdm_port_pool *p);      /* NULL is harmless */

/* A monotonic clock in nanoseconds, for sizing threads' shares by their
 * measured speed; a port without one returns 0 (shares then stay equal). */
unsigned long long mdm_port_now_ns(void);

#endif
