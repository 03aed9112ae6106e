/* mdm_model_open_*: container, keys, vocabulary, tensors, then the CRC of
 * the tensor data section. */
#include "fmt.h"
#include "model/crc32.h"
#include "model/errmsg.h"
#include "model/loader.h"
#include "params.h"
#include "port.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mdm_model_params_defaults(mdm_model_params *p, size_t struct_size) {
    const mdm_model_params def = {.struct_size = sizeof def, .verify_crc = 1};
    mdm_params_fill(p, struct_size, &def, sizeof def);
}

static mdm_status check_crc(const mdm_gguf *g, mdm_model *m, int verify, char *err, size_t len) {
    uint32_t want;
    mdm_status st = mdm_gguf_get_u32(g, "mdm.data_crc32", &want, err, len);
    if (st != MDM_OK || !verify)
        return st;
    uint32_t got = mdm_crc32(0, g->base + g->data_offset, (size_t)g->data_size);
    if (got != want)
        return mdm_err(err, len, MDM_ERR_CRC, "tensor data has CRC %08" PRIx32 ", mdm.data_crc32 is %08" PRIx32,
                       got, want);
    m->crc_state = MDM_CRC_OK;
    return MDM_OK;
}

static mdm_status open_view(const void *data, size_t size, const mdm_model_params *p,
                            mdm_model **out, char *err, size_t len) {
    mdm_allocator al = {p->alloc, p->free, p->alloc_user};
    mdm_model *m = mdm_alloc_zero(&al, 1, sizeof *m);
    mdm_gguf *g = m ? mdm_alloc_zero(&al, 1, sizeof *g) : NULL;
    if (!m || !g) {
        mdm_free(&al, m);
        return mdm_err(err, len, MDM_ERR_NO_MEMORY, "model struct");
    }
    m->al = al;
    m->gguf = g;
    mdm_status st = mdm_gguf_open_with(g, &al, data, size, err, len);
    if (st == MDM_OK && !(st = mdm_read_hparams(g, m, err, len)) &&
        !(st = mdm_read_vocab(g, m, err, len)) && !(st = mdm_bind_tensors(g, m, err, len)))
        st = check_crc(g, m, p->verify_crc, err, len);
    if (st != MDM_OK) {
        mdm_model_free(m);
        return st;
    }
    *out = m;
    return MDM_OK;
}

static mdm_status open_memory(const void *data, size_t size, const mdm_model_params *p,
                              mdm_model **out, char *err, size_t err_len) {
    if (err && err_len)
        err[0] = '\0';
    if (!out || (!data && size))
        return mdm_err(err, err_len, MDM_ERR_INVALID_ARG, "no buffer or no output");
    *out = NULL;
    /* Tensor views inherit the buffer's alignment (tensor offsets are
     * multiples of 32); the kernels read floats and 16-bit scales from them
     * and use no aligned vector loads there, so the 8 bytes that malloc
     * gives on every platform (armhf glibc included) are enough. */
    if ((uintptr_t)data % MDM_MODEL_ALIGN != 0)
        return mdm_err(err, err_len, MDM_ERR_MISALIGNED, "buffer is not %d-byte aligned",
                       MDM_MODEL_ALIGN);
    return open_view(data, size, p, out, err, err_len);
}

static mdm_status open_file(const char *path, const mdm_model_params *p, mdm_model **out,
                            char *err, size_t err_len) {
    if (err && err_len)
        err[0] = '\0';
    if (!out || !path)
        return mdm_err(err, err_len, MDM_ERR_INVALID_ARG, "no path or no output");
    *out = NULL;
    mdm_port_mapping *map = mdm_port_alloc(sizeof *map);
    if (!map)
        return mdm_err(err, err_len, MDM_ERR_NO_MEMORY, "file mapping");
    mdm_status st = mdm_port_map_file(path, map);
    if (st != MDM_OK) {
        mdm_port_free(map);
        return mdm_err(err, err_len, st, "cannot open or map %s", path);
    }
    st = open_view(map->data, map->size, p, out, err, err_len);
    if (st != MDM_OK) {
        mdm_port_unmap_file(map);
        mdm_port_free(map);
        return st;
    }
    (*out)->mapping = map;
    return MDM_OK;
}

/* The message of an open goes to the caller's err buffer and to the log. */
static mdm_status report(mdm_status st, const mdm_model_params *p, mdm_model *const *out,
                         char *msg, size_t msg_len, char *err, size_t err_len) {
    if (st != MDM_OK && !msg[0])
        mdm_fmt(msg, msg_len, "%s", mdm_strerror(st));
    if (err && err_len)
        mdm_fmt(err, err_len, "%s", msg);
    if (!p || !p->log)
        return st;
    if (st != MDM_OK) {
        p->log(p->log_user, MDM_LOG_ERROR, msg);
        return st;
    }
    mdm_model_info info;
    mdm_model_get_info(*out, &info);
    char line[160];
    mdm_fmt(line, sizeof line, "model: %zu tensors, %llu bytes, d_model %d, %d layers, CRC %s",
             mdm_model_n_tensors(*out), (unsigned long long)info.file_size, info.d_model,
             info.n_layer, info.crc_state == MDM_CRC_OK ? "checked" : "not checked");
    p->log(p->log_user, MDM_LOG_INFO, line);
    return st;
}

/* The caller's params (NULL: defaults) read over this library's defaults
 * (mdm_rt.h, "parameter structs that grow"); the reason into msg. */
static mdm_status take_params(const mdm_model_params *p, mdm_model_params *out, char *msg,
                              size_t len) {
    *out = mdm_model_params_init();
    mdm_status st = p ? mdm_params_take(out, sizeof *out, p) : MDM_OK;
    if (st != MDM_OK)
        mdm_err(msg, len, st, "mdm_model_params: struct_size %zu (%s)", p->struct_size,
                st == MDM_ERR_UNSUPPORTED ? "fields this library does not know are set"
                                          : "not set by mdm_model_params_init");
    return st;
}

/* Both opens: the caller's params, then the file at path (is_file) or
 * data/size. */
static mdm_status open_any(int is_file, const char *path, const void *data, size_t size,
                           const mdm_model_params *caller, mdm_model **out, char *err,
                           size_t err_len) {
    char msg[512] = "";
    mdm_model_params p;
    mdm_status st = take_params(caller, &p, msg, sizeof msg);
    if (st != MDM_OK) {
        if (out)
            *out = NULL;
        return report(st, NULL, out, msg, sizeof msg, err, err_len);
    }
    st = is_file ? open_file(path, &p, out, msg, sizeof msg)
                 : open_memory(data, size, &p, out, msg, sizeof msg);
    return report(st, &p, out, msg, sizeof msg, err, err_len);
}

mdm_status mdm_model_open_memory(const void *data, size_t size, const mdm_model_params *caller,
                                 mdm_model **out, char *err, size_t err_len) {
    return open_any(0, NULL, data, size, caller, out, err, err_len);
}

mdm_status mdm_model_open_file(const char *path, const mdm_model_params *caller, mdm_model **out,
                               char *err, size_t err_len) {
    return open_any(1, path, NULL, 0, caller, out, err, err_len);
}

void mdm_model_free(mdm_model *m) {
    if (!m)
        return;
    mdm_allocator al = m->al;
    void *mapping = m->mapping;
    mdm_free(&al, m->layers); /* newest first, for a stack-like allocator */
    mdm_vocab_free(&m->vocab, &al);
    mdm_gguf_close(m->gguf);
    mdm_free(&al, m->gguf);
    mdm_free(&al, m);
    if (mapping) {
        mdm_port_unmap_file(mapping);
        mdm_port_free(mapping);
    }
}
