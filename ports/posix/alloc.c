/* The heap of ports/port.h on a hosted C library. */
#include "port.h"
#include <stdlib.h>

void *mdm_port_alloc(size_t size) { return malloc(size ? size : 1); }

void mdm_port_free(void *p) { free(p); }
