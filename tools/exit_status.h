/* One exit-status rule for every tool of the project (mdm, mdm-convert,
 * mdm-bench-kernels, mdm-eval, the test tools):
 *   0  success
 *   2  usage: an unknown argument, a missing or malformed value
 *   3  bad input: a file to read is missing, unreadable or malformed
 *      (model, checkpoint, image, dataset), or input the model cannot take
 *   4  internal error, out of memory, cancelled, or the output cannot be
 *      written
 * A missing file is 3 everywhere.  (Comparison tools may add 1 for "the
 * inputs differ", as cmp(1) does.) */
#ifndef MDM_TOOLS_EXIT_STATUS_H
#define MDM_TOOLS_EXIT_STATUS_H
#include "mdm_rt.h"

enum { TOOL_EXIT_OK = 0, TOOL_EXIT_USAGE = 2, TOOL_EXIT_INPUT = 3, TOOL_EXIT_INTERNAL = 4 };

/* The exit status of a failure to read or use input. */
static inline int tool_exit_status(mdm_status st) {
    switch (st) {
    case MDM_OK: return TOOL_EXIT_OK;
    case MDM_ERR_NO_MEMORY:
    case MDM_ERR_INTERNAL:
    case MDM_ERR_DEVICE: /* the device failed, not the input */
    case MDM_ERR_CANCELLED: return TOOL_EXIT_INTERNAL;
    default: return TOOL_EXIT_INPUT;
    }
}
#endif
