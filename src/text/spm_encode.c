/* Encoding: SentencePiece's identity normalizer, then its optimized unigram
 * Viterbi (one best path per end position), then its id post-processing. */
#include "text/spm_impl.h"
#include <string.h>

mdm_status mdm_spm_work_size(size_t text_len, size_t *bytes) {
    if (!bytes)
        return MDM_ERR_INVALID_ARG;
    if (text_len > MDM_SPM_MAX_TEXT_BYTES)
        return MDM_ERR_TEXT_TOO_LONG;
    *bytes = MDM_SPM_WORK_BYTES(text_len);
    return MDM_OK;
}

/* Longest user-defined piece that prefixes s, in bytes (0: none). */
static size_t user_prefix(const mdm_spm *sp, const unsigned char *s, size_t n) {
    size_t best = 0;
    uint32_t node = 0;
    for (size_t k = 0; k < n && (node = spm_step(sp, node, s[k])) != 0; k++) {
        int32_t id = sp->node[node].id;
        if (id >= 0 && sp->type[id] == MDM_SPM_USER_DEFINED)
            best = k + 1;
    }
    return best;
}

/* The next unit the normalizer consumes at s: one character, a malformed
 * byte that stands for U+FFFD, or, in matcher mode, a whole user-defined
 * piece.  Sets *out and *out_len to what it becomes; returns bytes consumed. */
static size_t next_unit(const mdm_spm *sp, const unsigned char *s, size_t n,
                        const unsigned char **out, size_t *out_len) {
    size_t len = sp->ud_matcher ? user_prefix(sp, s, n) : 0;
    if (len == 0)
        len = spm_utf8_len(s, n);
    if (len == 0) {
        *out = (const unsigned char *)"\xef\xbf\xbd";
        *out_len = 3;
        return 1;
    }
    *out = s;
    *out_len = len;
    return len;
}

/* SentencePiece's normalizer with an identity rule: drop leading spaces,
 * prepend U+2581, collapse runs of spaces into one U+2581, drop trailing
 * U+2581s (including ones that were in the text).  Only ' ' is a space.
 * SentencePiece matches user-defined pieces here as whole units, which only
 * changes the result for pieces holding "  ", so only they turn it on. */
static size_t normalize(const mdm_spm *sp, const unsigned char *s, size_t n, unsigned char *out) {
    const unsigned char *u;
    size_t ulen, i = 0, o = 0;
    while (i < n && next_unit(sp, s + i, n - i, &u, &ulen) == 1 && ulen == 1 && u[0] == ' ')
        i++;
    if (i == n)
        return 0;
    memcpy(out, SPM_SPACE, 3);
    o = 3;
    int prev_space = 1;
    while (i < n) {
        i += next_unit(sp, s + i, n - i, &u, &ulen);
        while (prev_space && ulen > 0 && u[0] == ' ') {
            u++;
            ulen--;
        }
        for (size_t k = 0; k < ulen; k++) {
            if (u[k] == ' ') {
                memcpy(out + o, SPM_SPACE, 3);
                o += 3;
            } else {
                out[o++] = u[k];
            }
        }
        if (ulen > 0)
            prev_space = u[ulen - 1] == ' ';
    }
    while (o >= 3 && memcmp(out + o - 3, SPM_SPACE, 3) == 0)
        o -= 3;
    return o;
}

/* Byte length of a character from its lead byte, as SentencePiece guesses
 * it; the normalized text is valid UTF-8, so the guess is right. */
static int32_t char_len(unsigned char c) {
    return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* best[e], from[e], id[e]: the best path over s[0, e) ends with piece id
 * over s[from[e], e).  The arithmetic copies SentencePiece's on purpose: a
 * piece's score is a double there (the user-defined formula has a double
 * literal), so its candidate is compared unrounded against the stored float,
 * while the unknown candidate is a float sum.  Ties keep the earliest start. */
static void viterbi(const mdm_spm *sp, const unsigned char *s, int32_t n, float *best,
                    int32_t *from, int32_t *id) {
    for (int32_t e = 0; e <= n; e++)
        from[e] = -1;
    best[0] = 0.0f;
    for (int32_t pos = 0, clen; pos < n; pos += clen) {
        clen = char_len(s[pos]);
        clen = clen < n - pos ? clen : n - pos;
        const float base = best[pos];
        int single = 0;
        uint32_t node = 0;
        for (int32_t k = pos; k < n && (node = spm_step(sp, node, s[k])) != 0; k++) {
            const int32_t pid = sp->node[node].id;
            if (pid < 0 || sp->type[pid] == MDM_SPM_UNUSED)
                continue;
            const int32_t end = k + 1, len = end - pos;
            double piece = sp->score[pid];
            if (sp->type[pid] == MDM_SPM_USER_DEFINED) {
                const float bonus = (float)len * sp->max_score; /* own statement: no FMA */
                piece = (double)bonus - 0.1;
            }
            const double cand = piece + (double)base;
            if (from[end] < 0 || cand > (double)best[end]) {
                best[end] = (float)cand;
                from[end] = pos;
                id[end] = pid;
            }
            single |= len == clen;
        }
        if (!single) {
            const float cand = sp->unk_score + base;
            const int32_t end = pos + clen;
            if (from[end] < 0 || cand > best[end]) {
                best[end] = cand;
                from[end] = pos;
                id[end] = sp->unk_id;
            }
        }
    }
}

static void put(int32_t *ids, size_t max_ids, size_t *count, int32_t id) {
    if (*count < max_ids)
        ids[*count] = id;
    (*count)++;
}

mdm_status mdm_spm_encode(const mdm_spm *sp, const char *text, size_t text_len, void *work,
                          size_t work_size, int32_t *ids, size_t max_ids, size_t *n_ids) {
    if (!sp || !n_ids || (!text && text_len) || (!ids && max_ids) || !work)
        return MDM_ERR_INVALID_ARG;
    *n_ids = 0;
    if (text_len > MDM_SPM_MAX_TEXT_BYTES)
        return MDM_ERR_TEXT_TOO_LONG;
    if (work_size < MDM_SPM_WORK_BYTES(text_len))
        return MDM_ERR_BUFFER_TOO_SMALL;
    if (text_len == 0)
        return MDM_OK;

    const size_t cap = 3 * text_len + 3; /* normalized bytes at most */
    char *w = (char *)work + (4 - (uintptr_t)work % 4) % 4;
    float *best = (float *)(void *)w;
    int32_t *from = (int32_t *)(void *)(w + 4 * (cap + 1));
    int32_t *id = (int32_t *)(void *)(w + 8 * (cap + 1));
    unsigned char *norm = (unsigned char *)(w + 12 * (cap + 1));
    const int32_t n = (int32_t)normalize(sp, (const unsigned char *)text, text_len, norm);
    if (n == 0)
        return MDM_OK;
    viterbi(sp, norm, n, best, from, id);

    /* Reverse the back links in place: from[e] becomes the next piece's end. */
    int32_t first = -1;
    for (int32_t e = n, next = -1; e > 0;) {
        const int32_t start = from[e];
        from[e] = next;
        next = e;
        first = e;
        e = start;
    }
    size_t count = 0;
    int prev_unk = 0;
    for (int32_t start = 0, e = first; e > 0; start = e, e = from[e]) {
        const int32_t pid = id[e];
        if (pid != sp->unk_id) {
            put(ids, max_ids, &count, pid);
        } else if (sp->byte_fallback) { /* the character's UTF-8 bytes */
            for (int32_t k = start; k < e; k++)
                put(ids, max_ids, &count, sp->byte_id[norm[k]]);
        } else if (!prev_unk) { /* SentencePiece merges runs of unknowns */
            put(ids, max_ids, &count, pid);
        }
        prev_unk = pid == sp->unk_id;
    }
    *n_ids = count;
    return count > max_ids ? MDM_ERR_TEXT_TOO_LONG : MDM_OK;
}
