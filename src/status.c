/* mdm_strerror: messages come from the same X-macro as the codes. */
#include "mdm_rt.h"

const char *mdm_strerror(mdm_status status) {
    switch (status) {
#define MDM_STATUS_CASE(name, num, msg) case name: return msg;
        MDM_STATUS_LIST(MDM_STATUS_CASE)
#undef MDM_STATUS_CASE
    }
    return "unknown status";
}
