/* The pool of ports/port.h for a platform without threads: one "pool" of
 * size 1 that runs every task on the caller.  No allocation: the handle is
 * a constant that is never written. */
#include "port.h"

struct mdm_port_pool {
    int n;
};

static const mdm_port_pool serial = {1};

mdm_status mdm_port_pool_create(int n, mdm_port_pool **out) {
    if (!out || n < 1)
        return MDM_ERR_INVALID_ARG;
    *out = NULL;
    if (n > 1)
        return MDM_ERR_UNSUPPORTED;
    *out = (mdm_port_pool *)&serial; /* never written through */
    return MDM_OK;
}

void mdm_port_pool_run(mdm_port_pool *p, mdm_port_task fn, void *arg) {
    (void)p;
    fn(arg, 0, 1);
}

int mdm_port_pool_size(const mdm_port_pool *p) { return p ? p->n : 1; }

void mdm_port_pool_free(mdm_port_pool *p) { (void)p; }

unsigned long long mdm_port_now_ns(void) { return 0; } /* no clock: equal shares */
