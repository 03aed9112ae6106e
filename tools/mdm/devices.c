/* mdm devices: the OpenCL platforms and devices this build can run on. */
#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: mdm devices [--json]\n"
    "\n"
    "Lists the OpenCL devices; --device opencl:N on generate, caption, vqa and\n"
    "bench picks line N (--device opencl: the first GPU, else device 0).\n"
    "exit status: 0 ok (devices listed, or none), 2 usage, 4 a build without OpenCL\n";

#define MAX_DEVICES 64

int cmd_devices(int argc, char **argv) {
    int json = 0;
    const cli_opt opts[] = {{"--json", NULL, NULL, &json}};
    int rc = cli_parse(argc, argv, opts, 1, "devices", usage, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    static mdm_device_info d[MAX_DEVICES];
    int n = 0;
    mdm_status st = mdm_devices(d, MAX_DEVICES, &n);
    if (st == MDM_ERR_UNSUPPORTED) {
        fprintf(stderr, "mdm devices: this build has no OpenCL: rebuild with make OPENCL=1 "
                        "(needs ocl-icd-opencl-dev and opencl-headers); the CPU path needs none\n");
        return EXIT_INTERNAL;
    }
    if (n > MAX_DEVICES)
        n = MAX_DEVICES;
    if (json)
        printf("[");
    else if (n == 0)
        printf("no OpenCL platform or device: install a driver (its ICD), e.g. pocl-opencl-icd "
               "for the CPU; --device cpu needs none\n");
    for (int i = 0; i < n; i++) {
        const mdm_device_info *x = &d[i];
        if (json) {
            printf("%s{\"index\": %d, \"platform\": ", i ? ", " : "", x->index);
            cli_json_string(stdout, x->platform);
            printf(", \"name\": ");
            cli_json_string(stdout, x->name);
            printf(", \"version\": ");
            cli_json_string(stdout, x->version);
            printf(", \"gpu\": %s, \"compute_units\": %d, \"global_mem\": %llu, "
                   "\"local_mem\": %llu, \"fp16\": %s, \"subgroups\": %s, \"int_dot\": %s}",
                   x->is_gpu ? "true" : "false", x->compute_units,
                   (unsigned long long)x->global_mem, (unsigned long long)x->local_mem,
                   x->fp16 ? "true" : "false", x->subgroups ? "true" : "false",
                   x->int_dot ? "true" : "false");
        } else {
            printf("opencl:%d  %s (%s)\n", x->index, x->name, x->platform);
            printf("    %s, %s, %d compute units, %.0f MiB global, %.0f KiB local\n", x->version,
                   x->is_gpu ? "GPU" : "not a GPU", x->compute_units,
                   (double)x->global_mem / 1048576.0, (double)x->local_mem / 1024.0);
            printf("    fp16 %s, subgroups %s, integer dot product %s\n", x->fp16 ? "yes" : "no",
                   x->subgroups ? "yes" : "no", x->int_dot ? "yes" : "no");
        }
    }
    if (json)
        printf("]\n");
    return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}
