/* vocab.tsv reader: two passes, count then fill, so callers size arrays. */
#include "text/vocab_tsv.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One line without its "\n" (and "\r"): fields split at the two tabs. */
static mdm_status parse_line(const char *s, size_t len, const char **piece, uint32_t *piece_len,
                             float *score, int32_t *type) {
    const char *t1 = memchr(s, '\t', len);
    if (!t1 || t1 == s)
        return MDM_ERR_BAD_VOCAB;
    const char *f2 = t1 + 1, *end = s + len;
    const char *t2 = memchr(f2, '\t', (size_t)(end - f2));
    if (!t2)
        return MDM_ERR_BAD_VOCAB;
    /* strtof needs a terminated copy: the field ends at a tab, or at the end
     * of a buffer that need not be terminated. */
    char num[64];
    size_t nlen = (size_t)(t2 - f2);
    if (nlen == 0 || nlen >= sizeof num)
        return MDM_ERR_BAD_VOCAB;
    memcpy(num, f2, nlen);
    num[nlen] = '\0';
    char *stop;
    float sc = strtof(num, &stop);
    if (stop != num + nlen || !isfinite(sc) || num[0] == ' ' || num[0] == '\t')
        return MDM_ERR_BAD_VOCAB;
    const char *f3 = t2 + 1;
    if (f3 == end || end - f3 > 1 || *f3 < '1' || *f3 > '6')
        return MDM_ERR_BAD_VOCAB;
    if ((uint64_t)(t1 - s) > UINT32_MAX)
        return MDM_ERR_BAD_VOCAB;
    *piece = s;
    *piece_len = (uint32_t)(t1 - s);
    *score = sc;
    *type = *f3 - '0';
    return MDM_OK;
}

mdm_status mdm_vocab_tsv_parse(const char *tsv, size_t len, const char **piece,
                               uint32_t *piece_len, float *score, int32_t *type, size_t cap,
                               size_t *n) {
    if (!n || (!tsv && len))
        return MDM_ERR_INVALID_ARG;
    *n = 0;
    size_t lines = 0;
    for (size_t i = 0; i < len; lines++) {
        const char *nl = memchr(tsv + i, '\n', len - i);
        i = nl ? (size_t)(nl - tsv) + 1 : len;
    }
    if (cap < lines) {
        *n = lines;
        return MDM_ERR_BUFFER_TOO_SMALL;
    }
    if (lines && (!piece || !piece_len || !score || !type))
        return MDM_ERR_INVALID_ARG;
    size_t i = 0;
    for (size_t k = 0; k < lines; k++) {
        const char *s = tsv + i, *nl = memchr(s, '\n', len - i);
        size_t l = nl ? (size_t)(nl - s) : len - i;
        i += l + (nl != NULL);
        if (l > 0 && s[l - 1] == '\r')
            l--;
        mdm_status st = parse_line(s, l, &piece[k], &piece_len[k], &score[k], &type[k]);
        if (st != MDM_OK) {
            *n = k;
            return st;
        }
    }
    *n = lines;
    return MDM_OK;
}
