/* A small zlib encoder for PNG output: greedy LZ77 over a 32 KiB window
 * (hash chains), coded per block with the fixed Huffman code, or stored
 * when that is smaller (noise-like images).  Dynamic codes would save a
 * little more; the images written here are small. */
#include "image/zlib.h"
#include <stdlib.h>
#include <string.h>

#define WSIZE 32768
#define WMASK (WSIZE - 1)
#define HBITS 15
#define BLOCK 65535 /* input bytes per block: the most a stored block holds */
#define MAX_CHAIN 64

typedef struct {
    uint8_t *out;
    size_t cap, pos; /* pos keeps counting past cap so the caller learns the size */
    uint64_t bits;
    unsigned cnt;
} bitwriter;

static void put(bitwriter *w, uint32_t v, unsigned n) {
    w->bits |= (uint64_t)v << w->cnt;
    w->cnt += n;
    while (w->cnt >= 8) {
        if (w->pos < w->cap)
            w->out[w->pos] = (uint8_t)w->bits;
        w->pos++;
        w->bits >>= 8;
        w->cnt -= 8;
    }
}

static void align(bitwriter *w) {
    if (w->cnt)
        put(w, 0, 8 - w->cnt);
}

/* Huffman codes go out most significant bit first. */
static void put_code(bitwriter *w, uint32_t code, unsigned len) {
    uint32_t rev = 0;
    for (unsigned i = 0; i < len; i++)
        rev |= ((code >> i) & 1u) << (len - 1 - i);
    put(w, rev, len);
}

static void put_lit(bitwriter *w, unsigned sym) { /* fixed code, RFC 1951 3.2.6 */
    if (sym < 144)
        put_code(w, 0x30 + sym, 8);
    else if (sym < 256)
        put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        put_code(w, sym - 256, 7);
    else
        put_code(w, 0xc0 + sym - 280, 8);
}

static unsigned lit_bits(unsigned sym) {
    return sym < 144 ? 8 : sym < 256 ? 9 : sym < 280 ? 7 : 8;
}

static unsigned len_code(unsigned len) {
    unsigned c = 28;
    while (mdm_image_len_base[c] > len)
        c--;
    return c;
}

static unsigned dist_code(unsigned d) {
    unsigned c = 29;
    while (mdm_image_dist_base[c] > d)
        c--;
    return c;
}

typedef struct {
    uint16_t len; /* 0: literal */
    uint16_t val; /* the literal byte, or the distance */
} token;

typedef struct {
    int32_t head[1 << HBITS];
    int32_t prev[WSIZE];
    token tok[BLOCK];
} matcher;

static uint32_t hash3(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - HBITS);
}

static void insert(matcher *m, const uint8_t *src, size_t i, size_t n) {
    if (i + 3 > n)
        return;
    uint32_t h = hash3(src + i);
    m->prev[i & WMASK] = m->head[h];
    m->head[h] = (int32_t)i;
}

/* Longest match for position i not crossing end; returns its length (0 if < 3). */
static unsigned find(const matcher *m, const uint8_t *src, size_t i, size_t end, unsigned *dist) {
    if (i + 3 > end)
        return 0;
    size_t maxlen = end - i < 258 ? end - i : 258;
    unsigned best = 0;
    int32_t cand = m->head[hash3(src + i)];
    for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
        size_t c = (size_t)cand;
        if (c >= i || i - c > WSIZE)
            break;
        size_t l = 0;
        while (l < maxlen && src[c + l] == src[i + l])
            l++;
        if (l > best) {
            best = (unsigned)l;
            *dist = (unsigned)(i - c);
            if (l == maxlen)
                break;
        }
        int32_t next = m->prev[c & WMASK];
        if (next >= cand)
            break;
        cand = next;
    }
    return best >= 3 ? best : 0;
}

/* Tokenizes src[start, end); returns the token count and the fixed-code bits. */
static size_t tokenize(matcher *m, const uint8_t *src, size_t start, size_t end, size_t n,
                       uint64_t *bits) {
    size_t nt = 0, i = start;
    uint64_t b = 0;
    while (i < end) {
        unsigned dist = 0, len = find(m, src, i, end, &dist);
        if (len) {
            unsigned lc = len_code(len), dc = dist_code(dist);
            b += lit_bits(257 + lc) + mdm_image_len_extra[lc] + 5 + mdm_image_dist_extra[dc];
            m->tok[nt++] = (token){(uint16_t)len, (uint16_t)dist};
            for (unsigned k = 0; k < len; k++)
                insert(m, src, i + k, n);
            i += len;
        } else {
            b += lit_bits(src[i]);
            m->tok[nt++] = (token){0, src[i]};
            insert(m, src, i, n);
            i++;
        }
    }
    *bits = b;
    return nt;
}

static void emit_fixed(bitwriter *w, const token *tok, size_t nt, int last) {
    put(w, last ? 1 : 0, 1);
    put(w, 1, 2);
    for (size_t t = 0; t < nt; t++) {
        if (!tok[t].len) {
            put_lit(w, tok[t].val);
            continue;
        }
        unsigned lc = len_code(tok[t].len), dc = dist_code(tok[t].val);
        put_lit(w, 257 + lc);
        put(w, tok[t].len - mdm_image_len_base[lc], mdm_image_len_extra[lc]);
        put_code(w, dc, 5);
        put(w, tok[t].val - mdm_image_dist_base[dc], mdm_image_dist_extra[dc]);
    }
    put_lit(w, 256);
}

static void emit_stored(bitwriter *w, const uint8_t *p, size_t len, int last) {
    put(w, last ? 1 : 0, 1);
    put(w, 0, 2);
    align(w);
    put(w, (uint32_t)len, 16);
    put(w, (uint32_t)(~len & 0xffff), 16);
    for (size_t i = 0; i < len; i++)
        put(w, p[i], 8);
}

size_t mdm_image_zlib_bound(size_t n) {
    size_t blocks = n / BLOCK + 1;
    if (n > SIZE_MAX - 16 || blocks > (SIZE_MAX - 16 - n) / 5)
        return 0;
    return n + 5 * blocks + 2 + 4 + 1; /* + 1: a fixed block's last partial byte */
}

mdm_status mdm_image_zlib_deflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                  size_t *out_len) {
    if (!out_len || (!src && n))
        return MDM_ERR_INVALID_ARG;
    *out_len = 0;
    matcher *m = malloc(sizeof *m);
    if (!m)
        return MDM_ERR_NO_MEMORY;
    memset(m->head, 0xff, sizeof m->head); /* -1: empty chain */
    bitwriter w = {dst, dst ? cap : 0, 0, 0, 0};
    put(&w, 0x78, 8); /* deflate, 32K window */
    put(&w, 0x01, 8); /* check bits: 0x7801 % 31 == 0 */
    size_t start = 0;
    do {
        size_t end = n - start > BLOCK ? start + BLOCK : n;
        int last = end == n;
        uint64_t fixed_bits;
        size_t nt = tokenize(m, src, start, end, n, &fixed_bits);
        fixed_bits += 3 + 7;                          /* header, end of block */
        unsigned pad = (8 - (w.cnt + 3) % 8) % 8;     /* a stored block aligns */
        uint64_t stored_bits = 3 + pad + 32 + 8 * (uint64_t)(end - start);
        if (fixed_bits <= stored_bits)
            emit_fixed(&w, m->tok, nt, last);
        else
            emit_stored(&w, src + start, end - start, last);
        start = end;
    } while (start < n);
    align(&w);
    uint32_t a = mdm_image_adler32(1, src, n);
    for (int s = 24; s >= 0; s -= 8)
        put(&w, (a >> s) & 0xff, 8);
    free(m);
    *out_len = w.pos;
    return w.pos <= cap && dst ? MDM_OK : MDM_ERR_BUFFER_TOO_SMALL;
}
