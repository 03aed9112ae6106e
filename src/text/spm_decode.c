/* Decoding as SentencePiece's DecodeIds does it. */
#include "text/spm_impl.h"
#include <string.h>

/* SentencePiece's default unk_surface; vocab.tsv has no trainer spec. */
#define UNK_SURFACE " \xe2\x81\x87 "

typedef struct {
    char *out;
    size_t cap, len;
} sink;

static void emit(sink *k, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++, k->len++)
        if (k->len < k->cap)
            k->out[k->len] = s[i];
}

/* The byte of a byte piece, "<0xAB>" (checked at init). */
static unsigned char byte_of(const mdm_spm *sp, int32_t id) {
    const char *p = sp->text + sp->off[id];
    unsigned hi = (unsigned)(p[3] <= '9' ? p[3] - '0' : p[3] - 'A' + 10);
    unsigned lo = (unsigned)(p[4] <= '9' ? p[4] - '0' : p[4] - 'A' + 10);
    return (unsigned char)(hi * 16 + lo);
}

mdm_status mdm_spm_decode(const mdm_spm *sp, const int32_t *ids, size_t n_ids, char *out,
                          size_t out_cap, size_t *out_len) {
    if (!sp || !out_len || (!ids && n_ids) || (!out && out_cap))
        return MDM_ERR_INVALID_ARG;
    *out_len = 0;
    for (size_t i = 0; i < n_ids; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= sp->n)
            return MDM_ERR_INVALID_ARG;
    sink k = {out, out_cap, 0};
    for (size_t i = 0; i < n_ids;) {
        /* A run of byte pieces is raw UTF-8; a malformed byte reads as U+FFFD. */
        if (sp->type[ids[i]] == MDM_SPM_BYTE) {
            size_t end = i;
            while (end < n_ids && sp->type[ids[end]] == MDM_SPM_BYTE)
                end++;
            while (i < end) {
                unsigned char b[4] = {0}; /* newlib gcc 12 sees a maybe-uninitialized read */
                size_t nb = 0;
                for (; nb < 4 && i + nb < end; nb++)
                    b[nb] = byte_of(sp, ids[i + nb]);
                size_t c = spm_utf8_len(b, nb);
                emit(&k, c ? (const char *)b : "\xef\xbf\xbd", c ? c : 3);
                i += c ? c : 1;
            }
            continue;
        }
        const int t = sp->type[ids[i]];
        const char *p = sp->text + sp->off[ids[i]];
        size_t len = sp->off[ids[i] + 1] - sp->off[ids[i]];
        i++;
        if (t == MDM_SPM_CONTROL)
            continue;
        if (t == MDM_SPM_UNKNOWN) {
            emit(&k, UNK_SURFACE, sizeof UNK_SURFACE - 1);
            continue;
        }
        /* While nothing has been written, one leading U+2581 is the dummy
         * prefix (SentencePiece tests for empty output, not the first id). */
        if (k.len == 0 && len >= 3 && memcmp(p, SPM_SPACE, 3) == 0) {
            p += 3;
            len -= 3;
        }
        for (size_t j = 0; j < len;) {
            if (len - j >= 3 && memcmp(p + j, SPM_SPACE, 3) == 0) {
                emit(&k, " ", 1);
                j += 3;
            } else {
                emit(&k, p + j++, 1);
            }
        }
    }
    *out_len = k.len;
    if (k.len >= out_cap) {
        if (out_cap > 0)
            out[0] = '\0';
        return MDM_ERR_BUFFER_TOO_SMALL;
    }
    out[k.len] = '\0';
    return MDM_OK;
}
