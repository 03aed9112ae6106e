/* The steps of mdm_model_open_*, each in its own file. */
#ifndef MDM_MODEL_LOADER_H
#define MDM_MODEL_LOADER_H
#include "model/gguf.h"
#include "model/model.h"

/* general.*, mdm.* keys and the VAE block lists. */
mdm_status mdm_read_hparams(const mdm_gguf *g, mdm_model *m, char *err, size_t len);
/* tokenizer.* keys; allocates m->vocab's arrays from m->al. */
mdm_status mdm_read_vocab(const mdm_gguf *g, mdm_model *m, char *err, size_t len);
void mdm_vocab_free(mdm_vocab *v, const mdm_allocator *al);
/* Every tensor of the model: present, allowed type, exact shape, none extra. */
mdm_status mdm_bind_tensors(const mdm_gguf *g, mdm_model *m, char *err, size_t len);
#endif
