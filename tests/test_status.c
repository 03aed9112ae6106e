/* Every status has its own non-empty message and the numbers are unique. */
#include "check.h"
#include "mdm_rt.h"
#include <string.h>

static void messages_are_distinct(void) {
    static const int codes[] = {
#define C(name, num, msg) num,
        MDM_STATUS_LIST(C)
#undef C
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *mi = mdm_strerror((mdm_status)codes[i]);
        CHECK(mi && mi[0]);
        for (size_t j = i + 1; j < n; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(mi, mdm_strerror((mdm_status)codes[j])) != 0);
        }
    }
    CHECK(strcmp(mdm_strerror((mdm_status)9999), "unknown status") == 0);
}

int main(void) {
    RUN(messages_are_distinct);
    CHECK_EXIT();
}
