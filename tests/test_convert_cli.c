/* mdm-convert as a program: --help, usage errors, conversion, --info (text
 * and JSON), and the exit codes of tools/exit_status.h: 0 ok, 2 usage, 3 bad
 * input (a missing or unreadable file too, as in mdm), 4 the output cannot be
 * written. */
#include "check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char exe[512], dir[64];

static int run(const char *args) {
    char cmd[2048];
    /* MDM_TEST_EXEC: a prefix that runs a cross-built tool (tests/suites/arm.sh
     * sets "qemu-aarch64" etc., for machines without binfmt_misc) */
    const char *wrap = getenv("MDM_TEST_EXEC");
    snprintf(cmd, sizeof cmd, "%s%s%s %s >%s/out.txt 2>%s/err.txt", wrap ? wrap : "",
             wrap ? " " : "", exe, args, dir, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int output_has(const char *file, const char *what) {
    char path[128], buf[65536];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, what) != NULL;
}

static void usage_errors(void) {
    CHECK(run("--help") == 0 && output_has("out.txt", "--checkpoint DIR"));
    CHECK(run("") == 2 && output_has("err.txt", "usage:"));
    CHECK(run("--random tiny") == 2);
    CHECK(run("--random tiny -o x.gguf --type q5_1") == 2);
    CHECK(run("--random nope -o x.gguf") == 2);
    CHECK(run("--random tiny --seed -3 -o x.gguf") == 2);
    CHECK(run("--frobnicate") == 2);
    CHECK(run("--random tiny --checkpoint d -o x.gguf") == 2);
    CHECK(run("-o") == 2);
}

static void convert_and_info(void) {
    char args[512];
    snprintf(args, sizeof args, "--random micro --seed 4 --type q4_0 -o %s/m.gguf", dir);
    CHECK(run(args) == 0);
    snprintf(args, sizeof args, "--info %s/m.gguf", dir);
    CHECK(run(args) == 0 && output_has("out.txt", "crc32") && output_has("out.txt", "(ok)") &&
          output_has("out.txt", "backbone.layers.1.mixer.in_proj.weight") &&
          output_has("out.txt", "q4_0"));
    snprintf(args, sizeof args, "--info %s/m.gguf --json", dir);
    CHECK(run(args) == 0 && output_has("out.txt", "\"n_tensors\": 63") &&
          output_has("out.txt", "\"crc\": \"ok\""));
    /* Corrupt one byte of tensor data: bad input, and the message says CRC. */
    char path[128];
    snprintf(path, sizeof path, "%s/m.gguf", dir);
    FILE *f = fopen(path, "r+b");
    CHECK(f && fseek(f, -100, SEEK_END) == 0 && fputc(0x55, f) != EOF);
    if (f)
        fclose(f);
    snprintf(args, sizeof args, "--info %s/m.gguf", dir);
    CHECK(run(args) == 3 && output_has("err.txt", "CRC"));
    snprintf(args, sizeof args, "--info %s/m.gguf --no-crc", dir);
    CHECK(run(args) == 0 && output_has("out.txt", "not checked"));
    remove(path);
}

static void io_errors(void) {
    char args[512];
    CHECK(run("--info /nonexistent/m.gguf") == 3);
    CHECK(run("--checkpoint /nonexistent -o x.gguf") == 3 && output_has("err.txt", "config.json"));
    CHECK(run("--random micro -o /nonexistent/dir/m.gguf") == 4);
    snprintf(args, sizeof args, "--info %s", dir); /* a directory */
    CHECK(run(args) == 3);
}

int main(int argc, char **argv) {
    (void)argc;
    /* build[/asan]/tests/test_convert_cli -> build[/asan]/mdm-convert */
    snprintf(exe, sizeof exe, "%s", argv[0]);
    char *slash = strrchr(exe, '/');
    if (!slash) {
        SKIP("test_convert_cli", "run it by path");
        return 0;
    }
    *slash = '\0';
    slash = strrchr(exe, '/');
    strcpy(slash ? slash + 1 : exe, "mdm-convert");
    if (access(exe, X_OK) != 0) {
        SKIP("test_convert_cli", "mdm-convert not built");
        return 0;
    }
    strcpy(dir, "/tmp/mdm-test-cli-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(usage_errors);
    RUN(convert_and_info);
    RUN(io_errors);
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    remove(path);
    rmdir(dir);
    CHECK_EXIT();
}
