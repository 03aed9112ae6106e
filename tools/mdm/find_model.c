/* The default model of the mdm command, whatever the working directory:
 *   1. $MDM_MODEL, when set (used as given: its errors name it);
 *   2. the data folder installed beside the executable,
 *      <bin>/../share/mdm/models/... (make install), found from
 *      /proc/self/exe so that a prefix can move (DESTDIR, relocation);
 *   3. the source tree the tool was built in (MDM_SOURCE_DIR, set by the
 *      Makefile), when the executable lies inside it: build/mdm works from
 *      any folder, and an installed or copied mdm never reads the tree. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MDM_SOURCE_DIR
#define MDM_SOURCE_DIR "."
#endif

/* dir of the running executable into buf ("" when unknown). */
static void exe_dir(char *buf, size_t cap) {
    buf[0] = '\0';
    if (cap < 2)
        return;
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) {
        buf[0] = '\0';
        return;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        buf[0] = '\0';
}

static int readable(const char *p) { return access(p, R_OK) == 0; }

const char *cli_default_model(const char *cmd, char *buf, size_t cap) {
    const char *env = getenv("MDM_MODEL");
    if (env && *env)
        return env;
    char dir[1024], cand[2][1400];
    exe_dir(dir, sizeof dir);
    int n = 0;
    if (dir[0])
        snprintf(cand[n++], sizeof cand[0], "%s/../share/mdm/%s", dir, CLI_DEFAULT_MODEL);
    const size_t src_len = strlen(MDM_SOURCE_DIR);
    if (strncmp(dir, MDM_SOURCE_DIR, src_len) == 0 && dir[src_len] == '/')
        snprintf(cand[n++], sizeof cand[0], "%s/%s", MDM_SOURCE_DIR, CLI_DEFAULT_MODEL);
    for (int i = 0; i < n; i++)
        if (readable(cand[i]) && strlen(cand[i]) < cap) {
            memcpy(buf, cand[i], strlen(cand[i]) + 1);
            return buf;
        }
    fprintf(stderr, "mdm %s: no model given (-m MODEL) and none found; looked for:\n", cmd);
    fprintf(stderr, "  $MDM_MODEL (not set)\n");
    for (int i = 0; i < n; i++)
        fprintf(stderr, "  %s\n", cand[i]);
    return NULL;
}
