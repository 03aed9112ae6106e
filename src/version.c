/* mdm_version: the numbers this library was built with (mdm_rt.h). */
#include "mdm_rt.h"

int mdm_version(void) { return MDM_VERSION_NUMBER; }

const char *mdm_version_string(void) { return MDM_VERSION_STRING; }
