/* Building the tokenizer: vocabulary checks, the memory plan and the trie. */
#include "text/spm_impl.h"
#include <float.h>
#include <math.h>
#include <string.h>

#define MAX_VOCAB_BYTES (1u << 28) /* all pieces together; keeps offsets in uint32 */

typedef struct {
    size_t text_bytes;  /* all pieces */
    size_t match_bytes; /* pieces in the trie */
    int byte_fallback;
    int ud_matcher;
} vocab_stats;

typedef struct {
    size_t off, score, node, sorted, type, text, total;
} layout;

static int matchable(int32_t type) {
    return type == MDM_SPM_NORMAL || type == MDM_SPM_USER_DEFINED || type == MDM_SPM_UNUSED;
}

/* The byte of a byte piece "<0xAB>" (upper-case hex, as SentencePiece writes
 * it), or -1. */
static int byte_piece_value(const char *p, size_t len) {
    static const char hex[] = "0123456789ABCDEF";
    if (len != 6 || memcmp(p, "<0x", 3) != 0 || p[5] != '>' || !p[3] || !p[4])
        return -1;
    const char *hi = strchr(hex, p[3]), *lo = strchr(hex, p[4]);
    return hi && lo ? (int)((hi - hex) * 16 + (lo - hex)) : -1;
}

static int has_double_space(const char *p, size_t len) {
    for (size_t i = 1; i < len; i++)
        if (p[i] == ' ' && p[i - 1] == ' ')
            return 1;
    return 0;
}

/* Everything SentencePiece checks when it loads a model, except duplicates
 * (init finds those after sorting), plus well-formed pieces and scores. */
static mdm_status check_vocab(const mdm_spm_vocab *v, vocab_stats *st) {
    if (!v || !v->piece || !v->piece_len || !v->score || !v->type)
        return MDM_ERR_INVALID_ARG;
    if (v->n == 0 || v->n > MDM_SPM_MAX_PIECES || v->unk_id < 0 || (size_t)v->unk_id >= v->n)
        return MDM_ERR_BAD_VOCAB;
    unsigned char byte_seen[256] = {0};
    size_t n_unk = 0, n_bytes = 0;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < v->n; i++) {
        const char *p = v->piece[i];
        size_t len = v->piece_len[i];
        int32_t t = v->type[i];
        if (len == 0 || len > MDM_SPM_MAX_PIECE_BYTES || !p || t < MDM_SPM_NORMAL ||
            t > MDM_SPM_BYTE || !isfinite(v->score[i]))
            return MDM_ERR_BAD_VOCAB;
        /* NUL cannot be matched (SentencePiece's trie ends keys at NUL). */
        for (size_t k = 0; k < len;) {
            size_t c = p[k] ? spm_utf8_len((const unsigned char *)p + k, len - k) : 0;
            if (c == 0)
                return MDM_ERR_BAD_VOCAB;
            k += c;
        }
        if (t == MDM_SPM_UNKNOWN)
            n_unk++;
        if (t == MDM_SPM_BYTE) {
            int b = byte_piece_value(p, len);
            if (b < 0 || byte_seen[b])
                return MDM_ERR_BAD_VOCAB;
            byte_seen[b] = 1;
            n_bytes++;
        }
        if (t == MDM_SPM_USER_DEFINED && has_double_space(p, len))
            st->ud_matcher = 1;
        st->text_bytes += len;
        if (matchable(t))
            st->match_bytes += len;
        if (st->text_bytes > MAX_VOCAB_BYTES)
            return MDM_ERR_BAD_VOCAB;
    }
    /* Byte pieces mean byte fallback, which needs all 256 of them. */
    if (n_unk != 1 || v->type[v->unk_id] != MDM_SPM_UNKNOWN || (n_bytes && n_bytes != 256))
        return MDM_ERR_BAD_VOCAB;
    st->byte_fallback = n_bytes == 256;
    return MDM_OK;
}

/* Appends count * size bytes at `align` to *total; returns the offset. */
static int place(size_t *total, size_t count, size_t size, size_t align, size_t *at) {
    size_t start = (*total + align - 1) / align * align;
    if (start < *total || (size && count > (SIZE_MAX - start) / size))
        return 0;
    *at = start;
    *total = start + count * size;
    return 1;
}

static mdm_status plan(const mdm_spm_vocab *v, const vocab_stats *st, layout *l) {
    size_t n = v->n, total = sizeof(mdm_spm), slack;
    if (!place(&total, n + 1, sizeof(uint32_t), _Alignof(uint32_t), &l->off) ||
        !place(&total, n, sizeof(float), _Alignof(float), &l->score) ||
        !place(&total, st->match_bytes + 1, sizeof(spm_node), _Alignof(spm_node), &l->node) ||
        !place(&total, n, sizeof(uint32_t), _Alignof(uint32_t), &l->sorted) ||
        !place(&total, n, 1, 1, &l->type) || !place(&total, st->text_bytes, 1, 1, &l->text) ||
        !place(&total, _Alignof(mdm_spm) - 1, 1, 1, &slack)) /* mem may be unaligned */
        return MDM_ERR_OVERFLOW;
    l->total = total;
    return MDM_OK;
}

mdm_status mdm_spm_size(const mdm_spm_vocab *v, size_t *bytes) {
    vocab_stats st;
    layout l;
    mdm_status s;
    if (!bytes)
        return MDM_ERR_INVALID_ARG;
    if ((s = check_vocab(v, &st)) != MDM_OK || (s = plan(v, &st, &l)) != MDM_OK)
        return s;
    *bytes = l.total;
    return MDM_OK;
}

/* Sort order: pieces that can match first, then bytes, shorter first on a
 * common prefix, which is the order the trie is built in. */
static int piece_cmp(const mdm_spm *sp, uint32_t a, uint32_t b) {
    int ma = matchable(sp->type[a]), mb = matchable(sp->type[b]);
    if (ma != mb)
        return ma ? -1 : 1;
    size_t la = sp->off[a + 1] - sp->off[a], lb = sp->off[b + 1] - sp->off[b];
    int c = memcmp(sp->text + sp->off[a], sp->text + sp->off[b], la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* Heapsort: no recursion, no allocation, and qsort has no context pointer. */
static void sift_down(const mdm_spm *sp, uint32_t *a, size_t root, size_t n) {
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && piece_cmp(sp, a[child], a[child + 1]) < 0)
            child++;
        if (piece_cmp(sp, a[root], a[child]) >= 0)
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

static void sort_pieces(const mdm_spm *sp, uint32_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift_down(sp, a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(sp, a, 0, end);
    }
}

/* Breadth-first over the sorted matchable pieces: the pieces under a node
 * are a range of `sorted`, held in the node's child and id fields until the
 * node's turn comes, so children get contiguous slots. */
static void build_trie(mdm_spm *sp, spm_node *node, const uint32_t *sorted, uint32_t n_match) {
    uint32_t n_nodes = 1, level_end = 1, depth = 0;
    node[0] = (spm_node){.child = 0, .id = (int32_t)n_match};
    for (uint32_t k = 0; k < n_nodes; k++) {
        if (k == level_end) {
            level_end = n_nodes;
            depth++;
        }
        uint32_t lo = node[k].child, hi = (uint32_t)node[k].id;
        node[k].id = -1;
        if (lo < hi && sp->off[sorted[lo] + 1] - sp->off[sorted[lo]] == depth)
            node[k].id = (int32_t)sorted[lo++];
        node[k].child = n_nodes;
        while (lo < hi) {
            unsigned char c = (unsigned char)sp->text[sp->off[sorted[lo]] + depth];
            uint32_t j = lo + 1;
            while (j < hi && (unsigned char)sp->text[sp->off[sorted[j]] + depth] == c)
                j++;
            node[n_nodes++] = (spm_node){.child = lo, .id = (int32_t)j, .byte = c};
            node[k].n_child++;
            lo = j;
        }
    }
}

mdm_status mdm_spm_init(void *mem, size_t mem_size, const mdm_spm_vocab *v, mdm_spm **out) {
    vocab_stats st;
    layout l;
    mdm_status s;
    if (!mem || !out)
        return MDM_ERR_INVALID_ARG;
    *out = NULL;
    if ((s = check_vocab(v, &st)) != MDM_OK || (s = plan(v, &st, &l)) != MDM_OK)
        return s;
    if (mem_size < l.total)
        return MDM_ERR_BUFFER_TOO_SMALL;
    const size_t a = _Alignof(mdm_spm);
    char *base = (char *)mem + (a - (uintptr_t)mem % a) % a;
    mdm_spm *sp = (mdm_spm *)(void *)base;
    uint32_t *off = (uint32_t *)(void *)(base + l.off), *sorted = (uint32_t *)(void *)(base + l.sorted);
    float *score = (float *)(void *)(base + l.score);
    uint8_t *type = (uint8_t *)(base + l.type);
    char *text = base + l.text;
    spm_node *node = (spm_node *)(void *)(base + l.node);

    memset(sp, 0, sizeof *sp);
    sp->n = (uint32_t)v->n;
    sp->unk_id = v->unk_id;
    sp->byte_fallback = st.byte_fallback;
    sp->ud_matcher = st.ud_matcher;
    /* SentencePiece's quirks, kept for identical paths: max starts at FLT_MIN
     * (the smallest positive float) and min stays FLT_MAX without normal
     * pieces. */
    float min_score = FLT_MAX, max_score = FLT_MIN;
    size_t pos = 0;
    for (size_t i = 0; i < v->n; i++) {
        off[i] = (uint32_t)pos;
        memcpy(text + pos, v->piece[i], v->piece_len[i]);
        pos += v->piece_len[i];
        score[i] = v->score[i];
        type[i] = (uint8_t)v->type[i];
        sorted[i] = (uint32_t)i;
        if (type[i] == MDM_SPM_NORMAL) {
            min_score = score[i] < min_score ? score[i] : min_score;
            max_score = score[i] > max_score ? score[i] : max_score;
        }
    }
    off[v->n] = (uint32_t)pos;
    sp->off = off;
    sp->text = text;
    sp->score = score;
    sp->type = type;
    sp->node = node;
    sp->max_score = max_score;
    sp->unk_score = min_score - 10.0f;
    for (size_t b = 0; b < 256; b++)
        sp->byte_id[b] = -1;
    for (size_t i = 0; i < v->n; i++)
        if (type[i] == MDM_SPM_BYTE)
            sp->byte_id[byte_piece_value(text + off[i], off[i + 1] - off[i])] = (int32_t)i;

    sort_pieces(sp, sorted, v->n);
    uint32_t n_match = 0;
    for (size_t i = 0; i < v->n; i++) {
        /* SentencePiece keeps matchable and reserved pieces in two maps, so
         * "<s>" may be both a control and a normal piece, but not twice one. */
        if (i > 0 && piece_cmp(sp, sorted[i - 1], sorted[i]) == 0)
            return MDM_ERR_BAD_VOCAB;
        n_match += matchable(type[sorted[i]]);
    }
    build_trie(sp, node, sorted, n_match);
    *out = sp;
    return MDM_OK;
}

size_t mdm_spm_n_pieces(const mdm_spm *sp) {
    return sp ? sp->n : 0;
}

mdm_status mdm_spm_piece(const mdm_spm *sp, int32_t id, const char **piece, size_t *len,
                         int *type) {
    if (!sp || id < 0 || (uint32_t)id >= sp->n)
        return MDM_ERR_INVALID_ARG;
    if (piece)
        *piece = sp->text + sp->off[id];
    if (len)
        *len = sp->off[id + 1] - sp->off[id];
    if (type)
        *type = sp->type[id];
    return MDM_OK;
}
