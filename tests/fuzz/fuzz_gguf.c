/* libFuzzer target for the model loader: the GGUF container alone, then the
 * whole model binding (CRC checked on odd sizes, skipped on even ones so that
 * mutations of the tensor data reach the views).  Every view of an opened
 * model is read end to end, so ASan sees any view that leaves the buffer.
 * Build and run: tests/suites/fuzz.sh. */
#include "mdm_rt.h"
#include "model/gguf.h"
#include "model/model.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float touch(const mdm_model *m) {
    float acc = 0, row[64];
    for (size_t i = 0; i < mdm_model_n_tensors(m); i++) {
        mdm_tensor_info t;
        if (mdm_model_tensor(m, i, &t) != MDM_OK)
            abort();
        const uint8_t *p = m->gguf->tensors[i].data;
        for (uint64_t k = 0; k < t.bytes; k += 61)
            acc += p[k];
        acc += p[t.bytes - 1];
        size_t n = t.ne[0] < 64 ? (size_t)t.ne[0] : 64;
        if (t.type == MDM_TYPE_Q8_0 || t.type == MDM_TYPE_Q4_0)
            n = 32;
        mdm_dequantize_row((mdm_type)t.type, p, row, n);
        acc += row[0];
    }
    for (int i = 0; i < m->vocab.n; i++)
        acc += (float)(unsigned char)m->vocab.piece[i][m->vocab.piece_len[i] - 1];
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    char b[32];
    for (int i = 0; i < info.n_vae_decoder_blocks; i++)
        if (mdm_model_vae_block(m, 1, i, b, sizeof b) != MDM_OK)
            abort();
    return acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Exactly sized and 16-byte aligned, as the API requires. */
    uint8_t *buf = aligned_alloc(16, (size + 15) / 16 * 16 + 16);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    char err[256];
    mdm_gguf g;
    if (mdm_gguf_open(&g, buf, size, err, sizeof err) == MDM_OK)
        mdm_gguf_close(&g);
    mdm_model_params p = mdm_model_params_init();
    p.verify_crc = size & 1;
    mdm_model *m = NULL;
    mdm_status st = mdm_model_open_memory(buf, size, &p, &m, err, sizeof err);
    if ((st == MDM_OK) != (m != NULL) || (st != MDM_OK && !err[0]))
        abort();
    if (m) {
        volatile float sink = touch(m);
        (void)sink;
        mdm_model_free(m);
    }
    free(buf);
    return 0;
}
