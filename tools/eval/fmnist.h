/* Fashion-MNIST for mdm-eval: gzip (RFC 1952) on top of src/image's raw
 * inflater, the idx format, the VQA question file, and the caption parser
 * of tools/reference/evaluate.py.  Nothing here prints or keeps state. */
#ifndef MDM_EVAL_FMNIST_H
#define MDM_EVAL_FMNIST_H
#include "mdm_rt.h"
#include <stddef.h>
#include <stdint.h>

#define FMNIST_CLASSES 10
#define FMNIST_SIDE 28 /* idx images are 28 x 28 */
#define FMNIST_PADDED 32 /* data.py pads them with 2 px of black */

extern const char *const fmnist_class_names[FMNIST_CLASSES];

/* Reads a whole file (at most max bytes) into a malloc'ed buffer. */
mdm_status eval_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                          size_t err_len);

/* One gzip member: header (FEXTRA, FNAME, FCOMMENT and FHCRC checked and
 * skipped), raw deflate, CRC-32 and ISIZE checked; nothing may follow the
 * member.  *out (malloc'ed, ISIZE bytes, at most max_out) gets the data. */
mdm_status eval_gunzip(const uint8_t *src, size_t n, size_t max_out, uint8_t **out,
                       size_t *out_len, char *err, size_t err_len);

uint32_t eval_crc32(uint32_t crc, const uint8_t *p, size_t n); /* start with 0 */

/* The test (or train) split: images 28 x 28 row-major, labels 0..9. */
typedef struct {
    int n;
    uint8_t *images; /* n * 784 bytes */
    uint8_t *labels; /* n bytes */
} fmnist_split;

/* Reads DIR/PREFIX-images-idx3-ubyte.gz and DIR/PREFIX-labels-idx1-ubyte.gz
 * (prefix "t10k" or "train"); checks the idx magics, dimensions (n x 28 x
 * 28 and n), sizes and labels.  MDM_ERR_IO, MDM_ERR_BAD_IMAGE (bad gzip),
 * MDM_ERR_BAD_VALUE (bad idx), MDM_ERR_NO_MEMORY. */
mdm_status fmnist_load(const char *dir, const char *prefix, fmnist_split *out, char *err,
                       size_t err_len);
void fmnist_free(fmnist_split *s);

/* Image i padded to 32 x 32 with 2 px of black (data.py load_split). */
void fmnist_padded(const fmnist_split *s, int i, uint8_t out[FMNIST_PADDED * FMNIST_PADDED]);

/* tools/eval/vqa_items.tsv: "#" comment lines, then per test image
 * "index TAB label TAB question TAB answer" with index 0, 1, 2, ... */
typedef struct {
    int n;
    char *buf;              /* the file, its separators replaced by NULs */
    const char **question;  /* n pointers into buf */
    const char **answer;
    uint8_t *label;
} vqa_items;

/* Parses the file and checks every field; labels must equal split's
 * (MDM_ERR_BAD_VALUE names the line otherwise). */
mdm_status vqa_items_load(const char *path, const fmnist_split *split, vqa_items *out, char *err,
                          size_t err_len);
void vqa_items_free(vqa_items *v);

/* evaluate.py class_of_caption: the class a caption names, -1 when it names
 * none or several.  ASCII lower-casing (the vocabulary is ASCII). */
int fmnist_class_of_caption(const char *text);

/* evaluate.py's VQA check: answer.strip() == expected (ASCII whitespace). */
int fmnist_answer_matches(const char *answer, const char *expected);

/* data.py prompt(): "a photo of a <class>" ("an ankle boot"); buf >= 32. */
void fmnist_prompt(int cls, char *buf, size_t cap);

#endif
