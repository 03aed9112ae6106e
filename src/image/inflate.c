/* DEFLATE decoder (RFC 1951) with a zlib wrapper (RFC 1950).
 * Huffman codes are canonical: a 9-bit lookup table serves the short
 * codes, longer ones are decoded by walking the per-length code counts.
 * Every count, length, symbol and distance is checked before use; the
 * output is bounded by the caller's capacity. */
#include "image/zlib.h"
#include <string.h>

const uint16_t mdm_image_len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                         15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
const uint8_t mdm_image_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
const uint16_t mdm_image_dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                          17,   25,   33,   49,   65,   97,    129,   193,
                                          257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                          4097, 6145, 8193, 12289, 16385, 24577};
const uint8_t mdm_image_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                          6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

uint32_t mdm_image_adler32(uint32_t adler, const uint8_t *p, size_t n) {
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (n) {
        size_t k = n < 5552 ? n : 5552; /* largest run before b can overflow */
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

#define MAXBITS 15
#define FAST_BITS 9
#define MAXSYM 288

typedef struct {
    uint16_t fast[1 << FAST_BITS]; /* (length << 9) | symbol; 0: use the slow path */
    uint16_t count[MAXBITS + 1];   /* codes of each length */
    uint16_t symbol[MAXSYM];       /* symbols in canonical code order */
} huff;

typedef struct {
    const uint8_t *in;
    size_t n, pos;
    uint64_t bits; /* unread bits, LSB first */
    unsigned cnt;
    uint8_t *out;
    size_t cap, len;
} inflator;

static void refill(inflator *s) {
    while (s->cnt <= 56 && s->pos < s->n) {
        s->bits |= (uint64_t)s->in[s->pos++] << s->cnt;
        s->cnt += 8;
    }
}

/* k <= 16 bits; 0 when the input ends first. */
static int getbits(inflator *s, unsigned k, uint32_t *v) {
    if (s->cnt < k) {
        refill(s);
        if (s->cnt < k)
            return 0;
    }
    *v = (uint32_t)(s->bits & ((1u << k) - 1));
    s->bits >>= k;
    s->cnt -= k;
    return 1;
}

/* Builds a canonical code from n code lengths.  Rejects over-subscribed
 * sets; an incomplete set is accepted only as zlib does: when it is a
 * single code of length 1 (allow_single), or when it is empty. */
static int build(huff *h, const uint8_t *lens, int n, int allow_single) {
    uint16_t offs[MAXBITS + 2];
    memset(h->count, 0, sizeof h->count);
    memset(h->fast, 0, sizeof h->fast);
    for (int i = 0; i < n; i++)
        h->count[lens[i]]++;
    int left = 1, used = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        left = (left << 1) - h->count[len];
        if (left < 0)
            return 0;
        used += h->count[len];
    }
    if (left > 0 && used > 0 && !(allow_single && used == 1 && h->count[1] == 1))
        return 0;
    offs[1] = 0;
    for (int len = 1; len <= MAXBITS; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (lens[i])
            h->symbol[offs[lens[i]]++] = (uint16_t)i;
    /* Fill the fast table: walk symbols in code order, keeping the code. */
    unsigned code = 0, k = 0;
    for (int len = 1; len <= FAST_BITS; len++, code <<= 1) {
        for (int j = 0; j < h->count[len]; j++, code++, k++) {
            unsigned rev = 0;
            for (int b = 0; b < len; b++)
                rev |= ((code >> b) & 1u) << (len - 1 - b);
            for (unsigned f = rev; f < (1u << FAST_BITS); f += 1u << len)
                h->fast[f] = (uint16_t)((len << 9) | h->symbol[k]);
        }
    }
    return 1;
}

/* Next symbol, or -1 for an unassigned code or the end of input. */
static int decode(inflator *s, const huff *h) {
    if (s->cnt < MAXBITS)
        refill(s);
    unsigned e = h->fast[s->bits & ((1u << FAST_BITS) - 1)];
    if (e) {
        unsigned len = e >> 9;
        if (len > s->cnt)
            return -1;
        s->bits >>= len;
        s->cnt -= len;
        return (int)(e & 511);
    }
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= MAXBITS && len <= s->cnt; len++) {
        code |= (int)((s->bits >> (len - 1)) & 1);
        int c = h->count[len];
        if (code - first < c) {
            s->bits >>= len;
            s->cnt -= len;
            return h->symbol[index + code - first];
        }
        index += c;
        first = (first + c) << 1;
        code <<= 1;
    }
    return -1;
}

static mdm_status stored(inflator *s) {
    uint32_t len, nlen, v;
    s->bits >>= s->cnt & 7; /* to the byte boundary */
    s->cnt -= s->cnt & 7;
    if (!getbits(s, 16, &len) || !getbits(s, 16, &nlen))
        return MDM_ERR_BAD_IMAGE;
    if (len != (~nlen & 0xffff))
        return MDM_ERR_BAD_IMAGE;
    if (len > s->cap - s->len)
        return MDM_ERR_BUFFER_TOO_SMALL;
    while (len && s->cnt) { /* bytes already in the bit buffer first */
        getbits(s, 8, &v);
        s->out[s->len++] = (uint8_t)v;
        len--;
    }
    if (len > s->n - s->pos)
        return MDM_ERR_BAD_IMAGE;
    memcpy(s->out + s->len, s->in + s->pos, len);
    s->len += len;
    s->pos += len;
    return MDM_OK;
}

static mdm_status codes(inflator *s, const huff *lit, const huff *dist) {
    for (;;) {
        int sym = decode(s, lit);
        if (sym < 0)
            return MDM_ERR_BAD_IMAGE;
        if (sym < 256) {
            if (s->len == s->cap)
                return MDM_ERR_BUFFER_TOO_SMALL;
            s->out[s->len++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return MDM_OK;
        sym -= 257;
        if (sym >= 29) /* 286, 287 exist in the fixed code but are invalid */
            return MDM_ERR_BAD_IMAGE;
        uint32_t extra, len, d;
        if (!getbits(s, mdm_image_len_extra[sym], &extra))
            return MDM_ERR_BAD_IMAGE;
        len = mdm_image_len_base[sym] + extra;
        int ds = decode(s, dist);
        if (ds < 0 || ds >= 30)
            return MDM_ERR_BAD_IMAGE;
        if (!getbits(s, mdm_image_dist_extra[ds], &extra))
            return MDM_ERR_BAD_IMAGE;
        d = mdm_image_dist_base[ds] + extra;
        if (d > s->len)
            return MDM_ERR_BAD_IMAGE; /* before the start of the output */
        if (len > s->cap - s->len)
            return MDM_ERR_BUFFER_TOO_SMALL;
        uint8_t *o = s->out + s->len;
        for (uint32_t i = 0; i < len; i++) /* bytewise: source may overlap */
            o[i] = o[(ptrdiff_t)i - (ptrdiff_t)d];
        s->len += len;
    }
}

static mdm_status fixed(inflator *s, huff *lit, huff *dist) {
    uint8_t lens[MAXSYM];
    int i = 0;
    for (; i < 144; i++) lens[i] = 8;
    for (; i < 256; i++) lens[i] = 9;
    for (; i < 280; i++) lens[i] = 7;
    for (; i < 288; i++) lens[i] = 8;
    build(lit, lens, 288, 0);
    memset(lens, 5, 32); /* 32 codes so the set is complete; 30, 31 are invalid */
    build(dist, lens, 32, 0);
    return codes(s, lit, dist);
}

static mdm_status dynamic(inflator *s, huff *lit, huff *dist) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                      11, 4, 12, 3, 13, 2, 14, 1, 15};
    uint8_t lens[286 + 30];
    uint32_t nlit, ndist, ncode, v;
    if (!getbits(s, 5, &nlit) || !getbits(s, 5, &ndist) || !getbits(s, 4, &ncode))
        return MDM_ERR_BAD_IMAGE;
    nlit += 257;
    ndist += 1;
    ncode += 4;
    if (nlit > 286 || ndist > 30)
        return MDM_ERR_BAD_IMAGE;
    memset(lens, 0, 19);
    for (uint32_t i = 0; i < ncode; i++) {
        if (!getbits(s, 3, &v))
            return MDM_ERR_BAD_IMAGE;
        lens[order[i]] = (uint8_t)v;
    }
    huff *cl = lit; /* the code-length code is done before lit is built */
    if (!build(cl, lens, 19, 0))
        return MDM_ERR_BAD_IMAGE;
    uint32_t i = 0, total = nlit + ndist;
    while (i < total) {
        int sym = decode(s, cl);
        if (sym < 0)
            return MDM_ERR_BAD_IMAGE;
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        uint8_t val = 0;
        uint32_t rep;
        if (sym == 16) {
            if (i == 0 || !getbits(s, 2, &rep))
                return MDM_ERR_BAD_IMAGE;
            val = lens[i - 1];
            rep += 3;
        } else if (sym == 17) {
            if (!getbits(s, 3, &rep))
                return MDM_ERR_BAD_IMAGE;
            rep += 3;
        } else {
            if (!getbits(s, 7, &rep))
                return MDM_ERR_BAD_IMAGE;
            rep += 11;
        }
        if (rep > total - i)
            return MDM_ERR_BAD_IMAGE;
        memset(lens + i, val, rep);
        i += rep;
    }
    if (lens[256] == 0) /* no end-of-block code: the block could never end */
        return MDM_ERR_BAD_IMAGE;
    if (!build(lit, lens, (int)nlit, 1) || !build(dist, lens + nlit, (int)ndist, 1))
        return MDM_ERR_BAD_IMAGE;
    return codes(s, lit, dist);
}

static mdm_status run(inflator *s) {
    huff lit, dist;
    uint32_t last, type;
    do {
        if (!getbits(s, 1, &last) || !getbits(s, 2, &type))
            return MDM_ERR_BAD_IMAGE;
        mdm_status st = type == 0   ? stored(s)
                        : type == 1 ? fixed(s, &lit, &dist)
                        : type == 2 ? dynamic(s, &lit, &dist)
                                    : MDM_ERR_BAD_IMAGE;
        if (st != MDM_OK)
            return st;
    } while (!last);
    s->bits >>= s->cnt & 7;
    s->cnt -= s->cnt & 7;
    return MDM_OK;
}

mdm_status mdm_image_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                             size_t *out_len, size_t *in_used) {
    inflator s = {src, n, 0, 0, 0, dst, cap, 0};
    if ((!src && n) || (!dst && cap))
        return MDM_ERR_INVALID_ARG;
    mdm_status st = run(&s);
    if (out_len)
        *out_len = s.len;
    if (in_used)
        *in_used = s.pos - s.cnt / 8;
    return st;
}

mdm_status mdm_image_zlib_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                  size_t *out_len) {
    size_t len = 0, used = 0;
    if (out_len)
        *out_len = 0;
    if (!src || n < 2)
        return src || !n ? MDM_ERR_BAD_IMAGE : MDM_ERR_INVALID_ARG;
    /* CM 8 (deflate), window <= 32K, header check, no preset dictionary. */
    if ((src[0] & 15) != 8 || (src[0] >> 4) > 7 || ((src[0] << 8) | src[1]) % 31 ||
        (src[1] & 0x20))
        return MDM_ERR_BAD_IMAGE;
    mdm_status st = mdm_image_inflate(src + 2, n - 2, dst, cap, &len, &used);
    if (out_len)
        *out_len = len;
    if (st != MDM_OK)
        return st;
    const uint8_t *a = src + 2 + used;
    if (n - 2 - used < 4)
        return MDM_ERR_BAD_IMAGE;
    uint32_t want = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    return mdm_image_adler32(1, dst, len) == want ? MDM_OK : MDM_ERR_BAD_IMAGE;
}
