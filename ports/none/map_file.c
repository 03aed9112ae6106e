/* No file system on bare metal: models are opened from memory (flash)
 * with mdm_model_open_memory; opening a path is not supported. */
#include "port.h"
#include <string.h>

mdm_status mdm_port_map_file(const char *path, mdm_port_mapping *out) {
    (void)path;
    if (out)
        memset(out, 0, sizeof *out);
    return MDM_ERR_UNSUPPORTED;
}

void mdm_port_unmap_file(mdm_port_mapping *m) {
    if (m)
        memset(m, 0, sizeof *m);
}
