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

#endif
