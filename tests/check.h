/* Minimal test harness: each CHECK prints nothing on success; a test
 * binary prints one "PASS name" or "FAIL name: why" line per test case and
 * exits non-zero if any failed.  tests/run.sh counts the lines. */
#ifndef MDM_TEST_CHECK_H
#define MDM_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

static int check_failures_total;
static int check_failed_case;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            if (!check_failed_case)                                                   \
                printf("  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
            check_failed_case = 1;                                                    \
        }                                                                             \
    } while (0)

#define CHECKF(cond, ...)                                                             \
    do {                                                                              \
        if (!(cond)) {                                                                \
            if (!check_failed_case) {                                                 \
                printf("  %s:%d: ", __FILE__, __LINE__);                              \
                printf(__VA_ARGS__);                                                  \
                printf("\n");                                                         \
            }                                                                         \
            check_failed_case = 1;                                                    \
        }                                                                             \
    } while (0)

/* Run one test case function and report it. */
#define RUN(fn)                                                                       \
    do {                                                                              \
        check_failed_case = 0;                                                        \
        fn();                                                                         \
        printf("%s %s\n", check_failed_case ? "FAIL" : "PASS", #fn);                  \
        fflush(stdout);                                                               \
        check_failures_total += check_failed_case;                                    \
    } while (0)

/* Report a case that cannot run here (missing file or tool). */
#define SKIP(name, why) printf("SKIP %s: %s\n", name, why)

#define CHECK_EXIT() return check_failures_total ? 1 : 0

#endif
