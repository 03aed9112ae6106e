/* No heap on bare metal: everything the library would allocate comes from
 * the caller (an allocator in mdm_model_params, a buffer for the context). */
#include "port.h"

void *mdm_port_alloc(size_t size) {
    (void)size;
    return NULL;
}

void mdm_port_free(void *p) { (void)p; }
