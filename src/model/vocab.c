/* The SentencePiece vocabulary from the tokenizer.* keys: pieces point into
 * the file, scores and types are decoded (the key section is unaligned). */
#include "model/arch.h"
#include "model/errmsg.h"
#include "model/loader.h"
#include <math.h>
#include <string.h>

static mdm_status vocab_array(const mdm_gguf *g, const char *key, uint32_t type, uint64_t n,
                              const mdm_gguf_kv **kv, char *err, size_t len) {
    mdm_status st = mdm_gguf_get_arr(g, key, type, kv, err, len);
    if (st == MDM_OK && (*kv)->arr_n != n)
        return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "%s: %llu entries, mdm.vocab_size is %llu",
                       key, (unsigned long long)(*kv)->arr_n, (unsigned long long)n);
    return st;
}

static mdm_status special_id(const mdm_gguf *g, const char *key, int n, int *out, char *err,
                             size_t len) {
    uint32_t v;
    mdm_status st = mdm_gguf_get_u32(g, key, &v, err, len);
    if (st == MDM_OK && v >= (uint32_t)n)
        return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "%s = %" PRIu32 ", vocabulary has %d pieces", key, v,
                       n);
    *out = (int)v;
    return st;
}

mdm_status mdm_read_vocab(const mdm_gguf *g, mdm_model *m, char *err, size_t len) {
    mdm_vocab *v = &m->vocab;
    const char *s;
    uint64_t n;
    mdm_status st = mdm_gguf_get_str(g, "tokenizer.ggml.model", &s, &n, err, len);
    if (st != MDM_OK)
        return st;
    if (n != strlen(MDM_TOKENIZER_MODEL) || memcmp(s, MDM_TOKENIZER_MODEL, (size_t)n) != 0)
        return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "tokenizer.ggml.model is not \"%s\"",
                       MDM_TOKENIZER_MODEL);
    const int nv = m->hp.vocab_size;
    const mdm_gguf_kv *tok, *sc, *ty;
    if ((st = vocab_array(g, "tokenizer.ggml.tokens", MDM_GGUF_STRING, nv, &tok, err, len)) ||
        (st = vocab_array(g, "tokenizer.ggml.scores", MDM_GGUF_FLOAT32, nv, &sc, err, len)) ||
        (st = vocab_array(g, "tokenizer.ggml.token_type", MDM_GGUF_INT32, nv, &ty, err, len)) ||
        (st = special_id(g, "tokenizer.ggml.padding_token_id", nv, &v->pad_id, err, len)) ||
        (st = special_id(g, "tokenizer.ggml.unknown_token_id", nv, &v->unk_id, err, len)) ||
        (st = special_id(g, "tokenizer.ggml.eos_token_id", nv, &v->eos_id, err, len)))
        return st;
    v->piece = mdm_alloc_zero(&m->al, (size_t)nv, sizeof *v->piece);
    v->piece_len = mdm_alloc_zero(&m->al, (size_t)nv, sizeof *v->piece_len);
    v->score = mdm_alloc_zero(&m->al, (size_t)nv, sizeof *v->score);
    v->type = mdm_alloc_zero(&m->al, (size_t)nv, sizeof *v->type);
    if (!v->piece || !v->piece_len || !v->score || !v->type)
        return mdm_err(err, len, MDM_ERR_NO_MEMORY, "vocabulary of %d pieces", nv);
    v->n = nv;
    const uint8_t *p = tok->val; /* lengths were bounds-checked by the parser */
    for (int i = 0; i < nv; i++) {
        uint64_t k = mdm_gguf_rd_u64(p);
        v->piece[i] = (const char *)p + 8;
        v->piece_len[i] = (uint32_t)k;
        p += 8 + k;
        v->score[i] = mdm_gguf_rd_f32(sc->val + 4 * (size_t)i);
        v->type[i] = (int32_t)mdm_gguf_rd_u32(ty->val + 4 * (size_t)i);
        if (k == 0 || k > 256 || memchr(v->piece[i], 0, (size_t)k))
            return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "piece %d: empty, too long or has NUL",
                           i);
        if (!isfinite(v->score[i]))
            return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "piece %d: score is not finite", i);
        if (v->type[i] < 1 || v->type[i] > 6)
            return mdm_err(err, len, MDM_ERR_BAD_VOCAB, "piece %d: type %" PRId32, i, v->type[i]);
    }
    return MDM_OK;
}

void mdm_vocab_free(mdm_vocab *v, const mdm_allocator *al) {
    mdm_free(al, v->type);
    mdm_free(al, v->score);
    mdm_free(al, v->piece_len);
    mdm_free(al, v->piece);
    memset(v, 0, sizeof *v);
}
