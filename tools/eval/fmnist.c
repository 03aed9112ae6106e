/* Fashion-MNIST input for mdm-eval; see fmnist.h. */
#include "fmnist.h"
#include "image/zlib.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fmnist_class_names[FMNIST_CLASSES] = {
    "t-shirt", "trousers", "pullover", "dress", "coat",
    "sandal",  "shirt",    "sneaker",  "bag",   "ankle boot"};

static mdm_status fail(mdm_status st, char *err, size_t err_len, const char *fmt, ...) {
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return st;
}

mdm_status eval_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                          size_t err_len) {
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(MDM_ERR_IO, err, err_len, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    mdm_status st = buf ? MDM_OK : MDM_ERR_NO_MEMORY;
    while (st == MDM_OK) {
        if (n == cap) {
            if (cap > max) {
                st = fail(MDM_ERR_IO, err, err_len, "%s: larger than %zu bytes", path, max);
                break;
            }
            uint8_t *b = realloc(buf, cap * 2);
            if (!b) {
                st = MDM_ERR_NO_MEMORY;
                break;
            }
            buf = b, cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                st = fail(MDM_ERR_IO, err, err_len, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (st == MDM_OK && n > max)
        st = fail(MDM_ERR_IO, err, err_len, "%s: larger than %zu bytes", path, max);
    if (st != MDM_OK) {
        if (st == MDM_ERR_NO_MEMORY)
            fail(st, err, err_len, "%s: out of memory", path);
        free(buf);
        return st;
    }
    *out = buf;
    *len = n;
    return MDM_OK;
}

uint32_t eval_crc32(uint32_t crc, const uint8_t *p, size_t n) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Skips a NUL-terminated header field; 0 when it runs off the end. */
static int skip_cstring(const uint8_t *src, size_t end, size_t *pos) {
    const uint8_t *z = memchr(src + *pos, 0, end - *pos);
    if (!z)
        return 0;
    *pos = (size_t)(z - src) + 1;
    return 1;
}

mdm_status eval_gunzip(const uint8_t *src, size_t n, size_t max_out, uint8_t **out,
                       size_t *out_len, char *err, size_t err_len) {
    enum { FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16 };
    *out = NULL;
    *out_len = 0;
    if (!src || n < 18)
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: too short (%zu bytes)", n);
    if (src[0] != 0x1f || src[1] != 0x8b)
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: bad magic");
    if (src[2] != 8)
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: compression method %u", src[2]);
    unsigned flg = src[3];
    if (flg & 0xE0)
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: reserved flag bits set");
    size_t end = n - 8, pos = 10; /* the trailer is the last 8 bytes */
    if (flg & FEXTRA) {
        if (end - pos < 2 || (size_t)(src[pos] | src[pos + 1] << 8) > end - pos - 2)
            return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: FEXTRA runs past the end");
        pos += 2 + (size_t)(src[pos] | src[pos + 1] << 8);
    }
    if ((flg & FNAME) && !skip_cstring(src, end, &pos))
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: FNAME runs past the end");
    if ((flg & FCOMMENT) && !skip_cstring(src, end, &pos))
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: FCOMMENT runs past the end");
    if (flg & FHCRC) {
        if (end - pos < 2)
            return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: FHCRC runs past the end");
        if ((eval_crc32(0, src, pos) & 0xFFFF) != (uint32_t)(src[pos] | src[pos + 1] << 8))
            return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: header CRC mismatch");
        pos += 2;
    }
    uint32_t crc = le32(src + n - 8), isize = le32(src + n - 4);
    if (isize > max_out)
        return fail(MDM_ERR_BAD_IMAGE, err, err_len,
                    "gzip: trailer says %u bytes uncompressed, over %zu (truncated file?)", isize,
                    max_out);
    uint8_t *dst = malloc(isize ? isize : 1);
    if (!dst)
        return fail(MDM_ERR_NO_MEMORY, err, err_len, "gzip: out of memory");
    size_t len = 0, used = 0;
    mdm_status st = mdm_image_inflate(src + pos, end - pos, dst, isize, &len, &used);
    const char *why = NULL;
    if (st == MDM_ERR_BUFFER_TOO_SMALL)
        why = "more data than the trailer's size";
    else if (st != MDM_OK)
        why = "malformed deflate data";
    else if (len != isize)
        why = "size differs from the trailer's";
    else if (pos + used != end)
        why = "data after the first member";
    else if (eval_crc32(0, dst, len) != crc)
        why = "CRC-32 mismatch";
    if (why) {
        free(dst);
        return fail(MDM_ERR_BAD_IMAGE, err, err_len, "gzip: %s", why);
    }
    *out = dst;
    *out_len = len;
    return MDM_OK;
}

/* Reads and gunzips one idx file; checks magic (type ubyte, ndim dims). */
static mdm_status read_idx(const char *path, int ndim, uint8_t **data, size_t *len, uint32_t *dims,
                           char *err, size_t err_len) {
    uint8_t *gz;
    size_t gz_len;
    char why[160] = "";
    mdm_status st = eval_read_file(path, (size_t)64 << 20, &gz, &gz_len, err, err_len);
    if (st != MDM_OK)
        return st;
    st = eval_gunzip(gz, gz_len, (size_t)256 << 20, data, len, why, sizeof why);
    free(gz);
    if (st != MDM_OK)
        return fail(st, err, err_len, "%s: %s", path, why);
    size_t hdr = 4 + 4 * (size_t)ndim;
    if (*len < hdr || (*data)[0] || (*data)[1] || (*data)[2] != 0x08 || (*data)[3] != ndim) {
        free(*data);
        *data = NULL;
        return fail(MDM_ERR_BAD_VALUE, err, err_len,
                    "%s: not an idx file of unsigned bytes with %d dimensions", path, ndim);
    }
    for (int i = 0; i < ndim; i++)
        dims[i] = be32(*data + 4 + 4 * i);
    return MDM_OK;
}

mdm_status fmnist_load(const char *dir, const char *prefix, fmnist_split *out, char *err,
                       size_t err_len) {
    memset(out, 0, sizeof *out);
    char path[4096];
    uint8_t *img = NULL, *lab = NULL;
    size_t img_len = 0, lab_len = 0;
    uint32_t idim[3], ldim[1];
    if (snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix) >= (int)sizeof path)
        return fail(MDM_ERR_INVALID_ARG, err, err_len, "dataset path too long");
    mdm_status st = read_idx(path, 3, &img, &img_len, idim, err, err_len);
    if (st != MDM_OK)
        return st;
    if (idim[0] == 0 || idim[0] > 1000000 || idim[1] != FMNIST_SIDE || idim[2] != FMNIST_SIDE ||
        img_len != 16 + (size_t)idim[0] * FMNIST_SIDE * FMNIST_SIDE) {
        free(img);
        return fail(MDM_ERR_BAD_VALUE, err, err_len,
                    "%s: dimensions %u x %u x %u for %zu bytes (want n x 28 x 28)", path, idim[0],
                    idim[1], idim[2], img_len);
    }
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    st = read_idx(path, 1, &lab, &lab_len, ldim, err, err_len);
    if (st != MDM_OK) {
        free(img);
        return st;
    }
    if (ldim[0] != idim[0] || lab_len != 8 + (size_t)ldim[0]) {
        free(img);
        free(lab);
        return fail(MDM_ERR_BAD_VALUE, err, err_len, "%s: %u labels in %zu bytes for %u images",
                    path, ldim[0], lab_len, idim[0]);
    }
    for (uint32_t i = 0; i < ldim[0]; i++)
        if (lab[8 + i] >= FMNIST_CLASSES) {
            free(img);
            free(lab);
            return fail(MDM_ERR_BAD_VALUE, err, err_len, "%s: label %u of image %u", path,
                        lab[8 + i], i);
        }
    /* keep the payloads only */
    memmove(img, img + 16, img_len - 16);
    memmove(lab, lab + 8, lab_len - 8);
    out->n = (int)idim[0];
    out->images = img;
    out->labels = lab;
    return MDM_OK;
}

void fmnist_free(fmnist_split *s) {
    if (!s)
        return;
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

void fmnist_padded(const fmnist_split *s, int i, uint8_t out[FMNIST_PADDED * FMNIST_PADDED]) {
    const int pad = (FMNIST_PADDED - FMNIST_SIDE) / 2;
    memset(out, 0, FMNIST_PADDED * FMNIST_PADDED);
    const uint8_t *src = s->images + (size_t)i * FMNIST_SIDE * FMNIST_SIDE;
    for (int y = 0; y < FMNIST_SIDE; y++)
        memcpy(out + (y + pad) * FMNIST_PADDED + pad, src + y * FMNIST_SIDE, FMNIST_SIDE);
}

/* ---- VQA items -------------------------------------------------------- */

/* A field: printable ASCII (space included), 1..255 bytes. */
static int good_field(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

mdm_status vqa_items_load(const char *path, const fmnist_split *split, vqa_items *out, char *err,
                          size_t err_len) {
    memset(out, 0, sizeof *out);
    uint8_t *data;
    size_t len;
    mdm_status st = eval_read_file(path, (size_t)16 << 20, &data, &len, err, err_len);
    if (st != MDM_OK)
        return st;
    if (memchr(data, 0, len)) {
        free(data);
        return fail(MDM_ERR_BAD_VALUE, err, err_len, "%s: contains a NUL byte", path);
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    char *buf = realloc(data, len + 1);
    if (!buf) {
        free(data);
        return fail(MDM_ERR_NO_MEMORY, err, err_len, "%s: out of memory", path);
    }
    buf[len] = 0;
    out->buf = buf;
    out->question = malloc(lines * sizeof *out->question);
    out->answer = malloc(lines * sizeof *out->answer);
    out->label = malloc(lines);
    if (!out->question || !out->answer || !out->label) {
        vqa_items_free(out);
        return fail(MDM_ERR_NO_MEMORY, err, err_len, "%s: out of memory", path);
    }
    char *p = buf;
    for (size_t line = 1; *p; line++) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        if (nl && nl > p && nl[-1] == '\r')
            nl[-1] = 0;
        if (*p != '#' && *p) {
            char *f[4];
            int k = 0;
            f[k++] = p;
            for (char *q = p; *q && k <= 4; q++)
                if (*q == '\t') {
                    *q = 0;
                    if (k < 4)
                        f[k] = q + 1;
                    k++;
                }
            char *e1, *e2;
            long idx = k == 4 ? strtol(f[0], &e1, 10) : -1;
            long lab = k == 4 ? strtol(f[1], &e2, 10) : -1;
            if (k != 4 || *e1 || *e2 || f[0][0] < '0' || f[0][0] > '9' || f[1][0] < '0' ||
                f[1][0] > '9' || idx != out->n || lab < 0 || lab >= FMNIST_CLASSES ||
                !good_field(f[2]) || !good_field(f[3])) {
                int want = out->n;
                vqa_items_free(out);
                return fail(MDM_ERR_BAD_VALUE, err, err_len,
                            "%s:%zu: want \"%d<TAB>label<TAB>question<TAB>answer\" (printable "
                            "ASCII fields)",
                            path, line, want);
            }
            if (split && (out->n >= split->n || split->labels[out->n] != lab)) {
                int at = out->n;
                vqa_items_free(out);
                if (at >= split->n)
                    return fail(MDM_ERR_BAD_VALUE, err, err_len,
                                "%s:%zu: more questions than the dataset's %d images", path, line,
                                split->n);
                return fail(MDM_ERR_BAD_VALUE, err, err_len,
                            "%s:%zu: label %ld differs from the dataset's %d for image %d", path,
                            line, lab, split->labels[at], at);
            }
            out->question[out->n] = f[2];
            out->answer[out->n] = f[3];
            out->label[out->n] = (uint8_t)lab;
            out->n++;
        }
        p = next;
    }
    if (out->n == 0) {
        vqa_items_free(out);
        return fail(MDM_ERR_BAD_VALUE, err, err_len, "%s: no items", path);
    }
    return MDM_OK;
}

void vqa_items_free(vqa_items *v) {
    if (!v)
        return;
    free(v->buf);
    free(v->question);
    free(v->answer);
    free(v->label);
    memset(v, 0, sizeof *v);
}

/* ---- parsing captions and answers ------------------------------------- */

int fmnist_class_of_caption(const char *text) {
    size_t n = strlen(text);
    char *t = malloc(n + 3);
    if (!t)
        return -1;
    /* t = " " + text.lower() + " " */
    t[0] = ' ';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        t[i + 1] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    t[n + 1] = ' ';
    t[n + 2] = 0;
    int found[FMNIST_CLASSES] = {0};
    /* "t-shirt" anywhere names class 0; each occurrence becomes " " */
    const char *ts = fmnist_class_names[0];
    size_t tl = strlen(ts), w = 0;
    for (size_t r = 0; t[r];) {
        if (strncmp(t + r, ts, tl) == 0) {
            found[0] = 1;
            t[w++] = ' ';
            r += tl;
        } else {
            t[w++] = t[r++];
        }
    }
    t[w] = 0;
    /* re.search(r"(?<![a-z-])NAME(?![a-z])", t) */
    for (int c = 1; c < FMNIST_CLASSES; c++) {
        const char *name = fmnist_class_names[c];
        size_t nl = strlen(name);
        for (const char *p = strstr(t, name); p && !found[c]; p = strstr(p + 1, name)) {
            int before = p > t ? (unsigned char)p[-1] : 0;
            int after = (unsigned char)p[nl];
            if (!((before >= 'a' && before <= 'z') || before == '-') &&
                !(after >= 'a' && after <= 'z'))
                found[c] = 1;
        }
    }
    free(t);
    int cls = -1, count = 0;
    for (int c = 0; c < FMNIST_CLASSES; c++)
        if (found[c])
            cls = c, count++;
    return count == 1 ? cls : -1;
}

static int is_space(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

int fmnist_answer_matches(const char *answer, const char *expected) {
    size_t a = 0, b = strlen(answer);
    while (a < b && is_space((unsigned char)answer[a]))
        a++;
    while (b > a && is_space((unsigned char)answer[b - 1]))
        b--;
    return strlen(expected) == b - a && memcmp(answer + a, expected, b - a) == 0;
}

void fmnist_prompt(int cls, char *buf, size_t cap) {
    if (cls < 0 || cls >= FMNIST_CLASSES) {
        if (cap)
            buf[0] = 0;
        return;
    }
    const char *name = fmnist_class_names[cls];
    snprintf(buf, cap, "%s %s", name[0] == 'a' ? "a photo of an" : "a photo of a", name);
}
