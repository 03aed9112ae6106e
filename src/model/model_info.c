/* Read-only accessors behind the opaque handle, for `mdm info` and tools. */
#include "model/arch.h"
#include "model/gguf.h"
#include "model/model.h"
#include <string.h>

void mdm_model_get_info(const mdm_model *m, mdm_model_info *o) {
    const mdm_hparams *hp = &m->hp;
    memset(o, 0, sizeof *o);
    o->image_size = hp->image_size;
    o->image_channels = hp->image_channels;
    o->vae_factor = hp->vae_factor;
    o->latent_channels = hp->latent_channels;
    o->patch_size = hp->patch_size;
    o->text_len = hp->text_len;
    o->vocab_size = hp->vocab_size;
    o->d_model = hp->d_model;
    o->n_layer = hp->n_layer;
    o->expand = hp->expand;
    o->d_state = hp->d_state;
    o->d_conv = hp->d_conv;
    o->dt_rank = hp->dt_rank;
    o->norm_eps = hp->norm_eps;
    o->vae_scaling_factor = hp->vae_scaling_factor;
    o->vae_gn_eps = hp->vae_gn_eps;
    memcpy(o->scan_orders, hp->scan_orders, sizeof o->scan_orders);
    o->n_image_tokens = hp->n_image_tokens;
    o->seq_len = hp->seq_len;
    o->n_vae_encoder_blocks = m->vae_enc.n_blocks;
    o->n_vae_decoder_blocks = m->vae_dec.n_blocks;
    o->format_version = MDM_FORMAT_VERSION;
    o->file_type = m->file_type;
    o->alignment = m->gguf->alignment;
    const mdm_gguf_kv *kv = mdm_gguf_find_kv(m->gguf, "mdm.data_crc32");
    o->data_crc32 = kv ? mdm_gguf_rd_u32(kv->val) : 0;
    o->crc_state = m->crc_state;
    o->file_size = m->gguf->size;
    o->data_size = m->gguf->data_size;
}

mdm_status mdm_model_vae_block(const mdm_model *m, int decoder, int i, char *buf, size_t len) {
    const mdm_vae_stack *v = decoder ? &m->vae_dec : &m->vae_enc;
    if (!buf || len == 0 || i < 0 || i >= v->n_blocks)
        return MDM_ERR_INVALID_ARG;
    int k = mdm_vae_format_block(&v->blocks[i], buf, len);
    return k >= 0 && (size_t)k < len ? MDM_OK : MDM_ERR_BUFFER_TOO_SMALL;
}

size_t mdm_model_n_tensors(const mdm_model *m) { return (size_t)m->gguf->n_tensors; }

mdm_status mdm_model_tensor(const mdm_model *m, size_t i, mdm_tensor_info *o) {
    if (i >= mdm_model_n_tensors(m))
        return MDM_ERR_INVALID_ARG;
    const mdm_gguf_tensor *t = &m->gguf->tensors[i];
    memset(o, 0, sizeof *o);
    o->name = t->name;
    o->type = t->type;
    o->type_name = mdm_type_name((mdm_type)t->type);
    o->n_dims = (int)t->n_dims;
    memcpy(o->ne, t->ne, sizeof o->ne);
    o->offset = t->offset;
    o->bytes = t->nbytes;
    return MDM_OK;
}
