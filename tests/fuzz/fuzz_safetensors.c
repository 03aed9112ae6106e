/* libFuzzer target for mdm-convert's safetensors reader: every tensor of an
 * accepted file is read end to end.  Build and run: tests/suites/fuzz.sh. */
#include "tools/convert/safetensors.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    st_file f;
    char err[200];
    if (st_open(&f, copy, size, err, sizeof err) == MDM_OK) {
        float acc = 0;
        for (size_t i = 0; i < f.n; i++) {
            const st_tensor *t = &f.tensors[i];
            if (st_find(&f, t->name) == NULL || t->data + t->nbytes > copy + size)
                abort();
            for (uint64_t k = 0; k < t->count; k++)
                acc += st_get(t, k);
        }
        volatile float sink = acc;
        (void)sink;
        st_close(&f);
    }
    free(copy);
    return 0;
}
