/* `mdm info` / `mdm-convert --info`: a model's header as text or JSON. */
#ifndef MDM_CONVERT_INFO_H
#define MDM_CONVERT_INFO_H
#include "mdm_rt.h"
#include <stdio.h>

void mdm_print_info(FILE *out, const mdm_model *m, int json);
#endif
