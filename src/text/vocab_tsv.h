/* Reader for vocab.tsv (docs/MODEL.md): one line per piece id,
 * piece<TAB>score<TAB>type, in the arrays mdm_spm_vocab takes.  The one
 * parser of the project: mdm-convert reads checkpoints with it, the tests
 * build tokenizers with it. */
#ifndef MDM_TEXT_VOCAB_TSV_H
#define MDM_TEXT_VOCAB_TSV_H

#include "mdm_rt.h"
#include <stddef.h>
#include <stdint.h>

/* Parses len bytes of tsv.  piece[i] points into tsv (not NUL-terminated).
 * *n is the number of lines; when cap < *n nothing is stored and the result
 * is MDM_ERR_BUFFER_TOO_SMALL, so a call with cap 0 counts.  A malformed line
 * (missing field, score that is not a finite number in the C locale's
 * notation, type outside 1..6) gives MDM_ERR_BAD_VOCAB with *n set to its
 * 0-based index.  A final newline is optional; "\r\n" is accepted. */
mdm_status mdm_vocab_tsv_parse(const char *tsv, size_t len, const char **piece,
                               uint32_t *piece_len, float *score, int32_t *type, size_t cap,
                               size_t *n);

#endif
