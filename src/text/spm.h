/* SentencePiece unigram tokenizer: the encoding and decoding of spm 0.1.97
 * for models trained with --normalization_rule_name=identity and the default
 * add_dummy_prefix, remove_extra_whitespaces and split_by_whitespace.
 *
 * The tokenizer lives in one block of caller memory: ask mdm_spm_size, give
 * mdm_spm_init that many bytes.  It copies the vocabulary, so the arrays may
 * go away after init; the block must stay put while the tokenizer is used.
 * Encoding needs caller scratch (mdm_spm_work_size) and allocates nothing.
 * A built tokenizer is read-only: threads may share it, each with its own
 * scratch. */
#ifndef MDM_TEXT_SPM_H
#define MDM_TEXT_SPM_H

#include "mdm_rt.h"
#include <stddef.h>
#include <stdint.h>

/* SentencePiece piece types (ModelProto.SentencePiece.Type). */
enum {
    MDM_SPM_NORMAL = 1,
    MDM_SPM_UNKNOWN = 2,
    MDM_SPM_CONTROL = 3,
    MDM_SPM_USER_DEFINED = 4,
    MDM_SPM_UNUSED = 5,
    MDM_SPM_BYTE = 6
};

#define MDM_SPM_MAX_PIECES (1u << 24)
#define MDM_SPM_MAX_PIECE_BYTES 1024u
#define MDM_SPM_MAX_TEXT_BYTES (1u << 26) /* encode input; keeps positions in int32 */

/* Scratch bytes that encoding n input bytes needs; a constant expression, so
 * callers with a fixed text limit can use a stack array.  Normalizing can
 * triple the bytes (space -> U+2581, bad byte -> U+FFFD); Viterbi keeps 12
 * bytes per normalized byte. */
#define MDM_SPM_WORK_BYTES(n) (39 * (size_t)(n) + 64)

/* The vocabulary as a model file holds it: id i is piece[i] (piece_len[i]
 * bytes of UTF-8, not NUL-terminated), score[i], type[i]. */
typedef struct {
    size_t n;
    const char *const *piece;
    const uint32_t *piece_len;
    const float *score;
    const int32_t *type;
    int32_t unk_id; /* must be the one piece of type MDM_SPM_UNKNOWN */
} mdm_spm_vocab;

typedef struct mdm_spm mdm_spm;

/* Bytes mdm_spm_init needs for v.  Checks everything but duplicate pieces,
 * which init finds: MDM_ERR_BAD_VOCAB for a vocabulary SentencePiece would
 * refuse or that breaks a limit above, MDM_ERR_INVALID_ARG for NULLs. */
mdm_status mdm_spm_size(const mdm_spm_vocab *v, size_t *bytes);

/* Builds the tokenizer in mem (any alignment) and sets *out, which points
 * into mem.  MDM_ERR_BUFFER_TOO_SMALL when mem_size is below mdm_spm_size. */
mdm_status mdm_spm_init(void *mem, size_t mem_size, const mdm_spm_vocab *v, mdm_spm **out);

/* Scratch for encoding text_len bytes: MDM_SPM_WORK_BYTES(text_len), or
 * MDM_ERR_TEXT_TOO_LONG above MDM_SPM_MAX_TEXT_BYTES. */
mdm_status mdm_spm_work_size(size_t text_len, size_t *bytes);

/* Encodes text_len bytes of text (any bytes: invalid UTF-8 counts as U+FFFD
 * per byte, as SentencePiece does) into ids, without BOS/EOS.  *n_ids is the
 * number of ids the text needs; if that exceeds max_ids, the first max_ids
 * are stored and the result is MDM_ERR_TEXT_TOO_LONG.  Too little work:
 * MDM_ERR_BUFFER_TOO_SMALL. */
mdm_status mdm_spm_encode(const mdm_spm *sp, const char *text, size_t text_len, void *work,
                          size_t work_size, int32_t *ids, size_t max_ids, size_t *n_ids);

/* Decodes ids to NUL-terminated UTF-8 in out.  *out_len is the decoded length
 * without the NUL; if out_cap < *out_len + 1 the result is
 * MDM_ERR_BUFFER_TOO_SMALL and out holds "" (when out_cap > 0).  An id
 * outside the vocabulary: MDM_ERR_INVALID_ARG. */
mdm_status mdm_spm_decode(const mdm_spm *sp, const int32_t *ids, size_t n_ids, char *out,
                          size_t out_cap, size_t *out_len);

/* Number of pieces, and piece `id` (not NUL-terminated) with its type. */
size_t mdm_spm_n_pieces(const mdm_spm *sp);
mdm_status mdm_spm_piece(const mdm_spm *sp, int32_t id, const char **piece, size_t *len,
                         int *type);

#endif
