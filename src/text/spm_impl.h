/* Internals shared by the tokenizer's build, encode and decode files. */
#ifndef MDM_TEXT_SPM_IMPL_H
#define MDM_TEXT_SPM_IMPL_H

#include "text/spm.h"

/* Byte trie of the pieces that can match text (normal, user-defined and
 * unused, like SentencePiece's).  A node's children are contiguous and sorted
 * by edge byte, so a step is a binary search; node 0 is the root. */
typedef struct {
    uint32_t child; /* first child */
    int32_t id;     /* piece that ends here, or -1 */
    uint16_t n_child;
    uint8_t byte;   /* edge label from the parent */
} spm_node;

struct mdm_spm {
    uint32_t n;
    int32_t unk_id;
    float max_score; /* SentencePiece's: max over normal pieces, floor FLT_MIN */
    float unk_score; /* min over normal pieces (FLT_MAX if none) - 10 */
    int byte_fallback;
    int ud_matcher;  /* a user-defined piece holds "  ": see spm_encode.c */
    const uint32_t *off; /* piece i is text[off[i], off[i + 1]) */
    const char *text;
    const float *score;
    const uint8_t *type;
    const spm_node *node;
    int32_t byte_id[256];
};

#define SPM_SPACE "\xe2\x96\x81" /* U+2581, SentencePiece's escaped space */

/* Child of `node` along byte c, or 0 (the root is nobody's child). */
static inline uint32_t spm_step(const mdm_spm *sp, uint32_t node, unsigned char c) {
    const spm_node *nd = &sp->node[node];
    uint32_t lo = nd->child, hi = nd->child + nd->n_child;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sp->node[mid].byte < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nd->child + nd->n_child && sp->node[lo].byte == c ? lo : 0;
}

/* Length of the UTF-8 character at s (n > 0 bytes left), or 0 when it is
 * malformed by SentencePiece's rules: no overlongs, surrogates or values
 * above U+10FFFF. */
static inline size_t spm_utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || n < len)
        return 0;
    uint32_t cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

#endif
