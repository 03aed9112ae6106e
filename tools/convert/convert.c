/* cv_write: keys, tensor infos, then each tensor filled, checked finite,
 * converted to its type and streamed to the sink. */
#include "convert.h"
#include "model/errmsg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cv_torch_shape(const mdm_tensor_spec *s, int64_t shape[4]) {
    if (strncmp(s->name, "vae.", 4) == 0 && s->n_dims == 2) {
        shape[0] = s->ne[1];
        shape[1] = s->ne[0] / 9;
        shape[2] = shape[3] = 3;
        return 4;
    }
    for (int i = 0; i < s->n_dims; i++)
        shape[i] = s->ne[s->n_dims - 1 - i];
    return s->n_dims;
}

mdm_status cv_check_model(cv_source *src, char *err, size_t len) {
    mdm_status st = mdm_hparams_finish(&src->m.hp, err, len);
    if (st == MDM_OK)
        st = mdm_vae_check(&src->m.hp, &src->m.vae_enc, 0, err, len);
    if (st == MDM_OK)
        st = mdm_vae_check(&src->m.hp, &src->m.vae_dec, 1, err, len);
    if (st == MDM_OK && !src->m.layers &&
        !(src->m.layers = calloc((size_t)src->m.hp.n_layer, sizeof *src->m.layers)))
        st = MDM_ERR_NO_MEMORY;
    return st;
}

mdm_status cv_alloc_vocab(cv_source *src, int n) {
    src->n_vocab = n;
    src->pieces = calloc((size_t)n, sizeof *src->pieces);
    src->scores = calloc((size_t)n, sizeof *src->scores);
    src->types = calloc((size_t)n, sizeof *src->types);
    return src->pieces && src->scores && src->types ? MDM_OK : MDM_ERR_NO_MEMORY;
}

void cv_source_free(cv_source *src) {
    if (src->close)
        src->close(src);
    for (int i = 0; src->pieces && i < src->n_vocab; i++)
        free(src->pieces[i]);
    free(src->pieces);
    free(src->scores);
    free(src->types);
    free(src->m.layers);
    memset(src, 0, sizeof *src);
}

static void write_keys(gw_writer *w, const cv_source *src, mdm_type type) {
    const mdm_hparams *hp = &src->m.hp;
    gw_str(w, "general.architecture", "mdm");
    gw_str(w, "general.name", src->name);
    gw_u32(w, "general.file_type", mdm_file_type_of(type));
    gw_u32(w, "mdm.format_version", MDM_FORMAT_VERSION);
    for (size_t i = 0; i < MDM_N_HPARAM_INTS; i++) {
        const mdm_hparam_int *k = &mdm_hparam_ints[i];
        gw_u32(w, k->key, (uint32_t) * (const int *)((const char *)hp + k->off));
    }
    gw_f32(w, "mdm.norm_eps", hp->norm_eps);
    gw_f32(w, "mdm.vae.scaling_factor", hp->vae_scaling_factor);
    gw_f32(w, "mdm.vae.gn_eps", hp->vae_gn_eps);
    for (int dec = 0; dec < 2; dec++) {
        const mdm_vae_stack *v = dec ? &src->m.vae_dec : &src->m.vae_enc;
        char strs[MDM_VAE_MAX_BLOCKS][32];
        const char *ptrs[MDM_VAE_MAX_BLOCKS];
        for (int i = 0; i < v->n_blocks; i++) {
            mdm_vae_format_block(&v->blocks[i], strs[i], sizeof strs[i]);
            ptrs[i] = strs[i];
        }
        gw_arr_str(w, dec ? "mdm.vae.decoder" : "mdm.vae.encoder", ptrs, (size_t)v->n_blocks);
    }
    int32_t so[4];
    for (int i = 0; i < 4; i++)
        so[i] = hp->scan_orders[i];
    gw_arr_i32(w, "mdm.scan_orders", so, 4);
    gw_str(w, "tokenizer.ggml.model", MDM_TOKENIZER_MODEL);
    gw_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)src->pieces, (size_t)src->n_vocab);
    gw_arr_f32(w, "tokenizer.ggml.scores", src->scores, (size_t)src->n_vocab);
    gw_arr_i32(w, "tokenizer.ggml.token_type", src->types, (size_t)src->n_vocab);
    gw_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)src->pad_id);
    gw_u32(w, "tokenizer.ggml.unknown_token_id", (uint32_t)src->unk_id);
    gw_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)src->eos_id);
    gw_crc_key(w, "mdm.data_crc32");
}

static size_t count_of(const mdm_tensor_spec *s) {
    size_t n = 1;
    for (int i = 0; i < 4; i++)
        n *= (size_t)s->ne[i];
    return n;
}

static mdm_status write_tensor(cv_source *src, const mdm_tensor_spec *s, mdm_type t,
                               gw_writer *w, gw_sink *sink, char *err, size_t len) {
    size_t n = count_of(s);
    float *x = malloc(n * sizeof *x);
    void *q = malloc(mdm_type_row_bytes(t, (size_t)s->ne[0]) * (n / (size_t)s->ne[0]) + 1);
    mdm_status st = x && q ? src->fill(src, s, x, n, err, len) : MDM_ERR_NO_MEMORY;
    for (size_t i = 0; st == MDM_OK && i < n; i++)
        if (!isfinite(x[i]))
            st = mdm_err(err, len, MDM_ERR_BAD_VALUE, "%s: value %zu is not finite", s->name, i);
    if (st == MDM_OK) {
        switch (t) {
        case MDM_TYPE_F32: memcpy(q, x, n * 4); break; /* little-endian host */
        case MDM_TYPE_F16: mdm_quantize_row_f16(x, q, n); break;
        case MDM_TYPE_Q8_0: mdm_quantize_row_q8_0(x, q, n); break;
        case MDM_TYPE_Q4_0: mdm_quantize_row_q4_0(x, q, n); break;
        }
        gw_data(w, sink, q, mdm_type_row_bytes(t, (size_t)s->ne[0]) * (n / (size_t)s->ne[0]));
        gw_pad(w, sink);
    }
    if (st == MDM_ERR_NO_MEMORY)
        mdm_err(err, len, st, "%s", s->name);
    free(x);
    free(q);
    return st;
}

static mdm_status check_vocab(const cv_source *src, char *err, size_t len) {
    if (src->n_vocab != src->m.hp.vocab_size)
        return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "%d pieces, vocab_size is %d", src->n_vocab,
                       src->m.hp.vocab_size);
    int ids[3] = {src->pad_id, src->unk_id, src->eos_id};
    for (int i = 0; i < 3; i++)
        if (ids[i] < 0 || ids[i] >= src->n_vocab)
            return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "special token id %d out of range",
                           ids[i]);
    for (int i = 0; i < src->n_vocab; i++) {
        size_t k = strlen(src->pieces[i]);
        if (k == 0 || k > 256 || !isfinite(src->scores[i]) || src->types[i] < 1 ||
            src->types[i] > 6)
            return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "piece %d: empty, longer than 256 "
                           "bytes, non-finite score or type not 1..6", i);
    }
    return MDM_OK;
}

mdm_status cv_write(cv_source *src, mdm_type type, gw_sink *sink, char *err, size_t len) {
    if (!mdm_type_is_valid(type))
        return mdm_err(err, len, MDM_ERR_INVALID_ARG, "weight type %d", (int)type);
    mdm_status st = cv_check_model(src, err, len);
    if (st == MDM_OK)
        st = check_vocab(src, err, len);
    mdm_tensor_spec *specs = NULL;
    size_t n = 0;
    if (st == MDM_OK && (st = mdm_arch_tensors(&src->m, &specs, &n)) != MDM_OK)
        mdm_err(err, len, st, "tensor list");
    if (st == MDM_OK && src->edit)
        src->edit(src, specs, &n);
    gw_writer w;
    gw_init(&w, 64);
    if (st == MDM_OK) {
        write_keys(&w, src, type);
        for (size_t i = 0; i < n; i++)
            gw_tensor(&w, specs[i].name, specs[i].n_dims, specs[i].ne,
                      mdm_arch_pick_type(&specs[i], type));
        if ((st = gw_begin(&w, sink)) != MDM_OK)
            mdm_err(err, len, st, "writing the header");
    }
    for (size_t i = 0; st == MDM_OK && i < n; i++)
        st = write_tensor(src, &specs[i], mdm_arch_pick_type(&specs[i], type), &w, sink, err, len);
    if (st == MDM_OK && (st = gw_finish(&w, sink)) != MDM_OK)
        mdm_err(err, len, st, "writing the model file");
    gw_free(&w);
    free(specs);
    return st;
}
