/* Loading a model onto the device, once per context: the whole tensor-data
 * section as one buffer (kernels address a tensor by its byte offset, so a
 * quantized weight stays in its blocks), A = -exp(A_log) and the scan
 * orders as the CPU context derives them, and every activation buffer. */
#include "opencl/ocl.h"
#include "context.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ocl_bytes mdm_ocl_tensor(const mdm_ocl *o, const mdm_tensor *t) {
    return (ocl_bytes){o->weights, (cl_ulong)((const unsigned char *)t->data - o->wbase)};
}

ocl_weight mdm_ocl_weight(const mdm_ocl *o, const mdm_tensor *t, int first, int n) {
    const size_t rb = mdm_type_row_bytes(t->type, (size_t)t->ne[0]);
    ocl_weight w = {o->weights, mdm_ocl_tensor(o, t).off + (cl_ulong)first * rb, rb, (int)t->type,
                    (int)t->ne[0], n};
    return w;
}

/* Host address of the tensor-data section: a tensor's view minus its offset. */
/* The largest feature map the device VAE holds whole: every block's input
 * and output, and an up block's upsampled input.  (The CPU VAE streams bands
 * and needs less, so its mdm_vae_work size does not fit the device.) */
static size_t device_map_floats(const mdm_model *m) {
    const mdm_hparams *hp = &m->hp;
    size_t best = 0;
    for (int dec = 0; dec < 2; dec++) {
        const mdm_vae_stack *s = dec ? &m->vae_dec : &m->vae_enc;
        size_t c = (size_t)(dec ? hp->latent_channels : hp->image_channels);
        size_t h = (size_t)(dec ? hp->latent_size : hp->image_size), w = h;
        best = c * h * w > best ? c * h * w : best;
        for (int i = 0; i < s->n_blocks; i++) {
            const mdm_vae_block *b = &s->blocks[i];
            size_t in = (size_t)b->ci * h * w; /* as read (a down block's full input) */
            best = in > best ? in : best;
            if (b->op == MDM_VAE_UP)
                h *= 2, w *= 2;
            if (b->op == MDM_VAE_DOWN)
                h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
            if (b->op != MDM_VAE_SILU && b->op != MDM_VAE_GN && b->op != MDM_VAE_RES)
                c = (size_t)b->co;
            size_t up = (size_t)b->ci * h * w, out = c * h * w; /* an up block's upsampled input */
            best = up > best ? up : best;
            best = out > best ? out : best;
        }
    }
    return best;
}

static const unsigned char *data_base(const mdm_model *m) {
    mdm_tensor_info ti;
    for (size_t i = 0; i < mdm_model_n_tensors(m); i++)
        if (mdm_model_tensor(m, i, &ti) == MDM_OK && strcmp(ti.name, "embed.image.weight") == 0)
            return (const unsigned char *)m->embed_image_w.data - ti.offset;
    return NULL;
}

static cl_mem floats(mdm_ocl *o, size_t n) { return mdm_ocl_buffer(o, n * sizeof(float), NULL); }

mdm_status mdm_ocl_load(mdm_ocl *o, const mdm_model *m, const mdm_denoiser *dn, char *err,
                        size_t err_len) {
    const mdm_hparams *hp = &m->hp;
    const size_t S = (size_t)hp->seq_len, d = (size_t)hp->d_model, di = (size_t)hp->d_inner;
    const size_t N = (size_t)hp->d_state, Lt = (size_t)hp->text_len;
    const size_t nl = mdm_latent_count(hp);
    mdm_model_info info;
    mdm_model_get_info(m, &info);
    o->m = m;
    o->wbase = data_base(m);
    if (!o->wbase) {
        snprintf(err, err_len, "%s: the model's tensor data cannot be located", o->name);
        return MDM_ERR_INTERNAL;
    }
    o->map_floats = device_map_floats(m);
    o->stage = malloc((512 + nl) * sizeof(float));
    o->stage_i = malloc((1 + Lt) * sizeof(int32_t));
    if (!o->stage || !o->stage_i)
        return MDM_ERR_NO_MEMORY;

    cl_ulong max_alloc = 0;
    clGetDeviceInfo(o->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    if (max_alloc && info.data_size > max_alloc) { /* one buffer holds every tensor */
        snprintf(err, err_len, "%s: the model's %.1f MiB of tensors exceed the device's largest "
                 "buffer (%.1f MiB)", o->name, (double)info.data_size / (1 << 20),
                 (double)max_alloc / (1 << 20));
        return MDM_ERR_DEVICE;
    }
    o->weights = mdm_ocl_buffer(o, (size_t)info.data_size, o->wbase);
    o->A = mdm_ocl_buffer(o, (size_t)hp->n_layer * di * N * sizeof(float), dn->A);
    o->perm = mdm_ocl_buffer(o, 4 * S * sizeof(int32_t), NULL);
    for (int k = 0; k < 4 && o->perm; k++)
        mdm_ocl_write(o, o->perm, (size_t)k * S * sizeof(int32_t), S * sizeof(int32_t),
                      dn->perm[k]);
    o->io_f = floats(o, 512 + nl);
    o->io_i = mdm_ocl_buffer(o, (1 + Lt) * sizeof(int32_t), NULL);
    o->x = floats(o, S * d), o->u = floats(o, S * d), o->out = floats(o, S * d);
    o->xs = floats(o, S * di), o->z = floats(o, S * di), o->xc = floats(o, S * di);
    o->y = floats(o, S * di), o->delta = floats(o, S * di);
    o->dt_in = floats(o, S * (size_t)hp->dt_rank), o->bc = floats(o, S * 2 * N);
    o->hid = floats(o, d);
    o->patches = floats(o, (size_t)hp->n_image_tokens * (size_t)hp->patch_dim);
    o->v = floats(o, nl);
    o->s = floats(o, Lt * (size_t)(hp->vocab_size + 1));
    for (int i = 0; i < 3; i++)
        o->map[i] = floats(o, o->map_floats);
    if (o->int8) { /* the widest input of any matmul, for every token */
        size_t k = d > di ? d : di;
        k = k > (size_t)hp->dt_rank ? k : (size_t)hp->dt_rank;
        k = k > (size_t)hp->patch_dim ? k : (size_t)hp->patch_dim;
        k = k > MDM_TIME_FEATURES ? k : MDM_TIME_FEATURES;
        o->xq = mdm_ocl_buffer(o, S * k, NULL);
        o->xd = floats(o, S * k / 32 + 1);
        o->xq_cap = o->xd ? S * k : 0;
    }
    if (mdm_ocl_check(o) != MDM_OK || !o->map[2]) {
        snprintf(err, err_len, "%s: cannot allocate the model's %.1f MiB on the device", o->name,
                 (double)info.data_size / (1 << 20));
        return MDM_ERR_DEVICE;
    }
    return MDM_OK;
}
