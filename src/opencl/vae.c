/* The VAE on the device: vae/blocks.c's interpreter over three device
 * maps that rotate the same way. */
#include "opencl/ocl.h"
#include "context.h"

typedef struct {
    mdm_ocl *o;
    cl_mem cur, a, b;
    int c, h, w;
} dev_state;

static void swap_in(dev_state *st, cl_mem *fresh) {
    cl_mem old = st->cur;
    st->cur = *fresh;
    *fresh = old;
}

static ocl_weight conv_weight(mdm_ocl *o, const mdm_tensor *w) {
    return mdm_ocl_weight(o, w, 0, (int)w->ne[1]);
}

static void conv(dev_state *st, const mdm_vae_block *b, int stride) {
    ocl_weight w = conv_weight(st->o, &b->w);
    ocl_conv2d(st->o, st->a, st->cur, &w, mdm_ocl_tensor(st->o, &b->b), b->ci, b->co, st->h,
               st->w, stride, OCL_NONE);
    st->c = b->co;
    st->h = (st->h - 1) / stride + 1;
    st->w = (st->w - 1) / stride + 1;
    swap_in(st, &st->a);
}

static void res(dev_state *st, const mdm_vae_block *b) {
    mdm_ocl *o = st->o;
    const int n = st->c * st->h * st->w;
    ocl_weight w1 = conv_weight(o, &b->w), w2 = conv_weight(o, &b->w2);
    ocl_copy(o, st->a, st->cur, (size_t)n);
    ocl_act(o, (ocl_f32){st->a, 0}, n, OCL_SILU);
    ocl_conv2d(o, st->b, st->a, &w1, mdm_ocl_tensor(o, &b->b), b->ci, b->co, st->h, st->w, 1,
               OCL_SILU);
    ocl_conv2d(o, st->a, st->b, &w2, mdm_ocl_tensor(o, &b->b2), b->ci, b->co, st->h, st->w, 1,
               OCL_NONE);
    ocl_add(o, st->cur, st->a, n);
}

/* blocks.c's guard: the block takes the current channels and stays in the maps. */
static int fits(const dev_state *st, const mdm_vae_block *b) {
    size_t h = (size_t)st->h, w = (size_t)st->w;
    if (b->op == MDM_VAE_SILU)
        return 1;
    if (b->ci != st->c || (b->op == MDM_VAE_GN && (b->groups < 1 || b->ci % b->groups)))
        return 0;
    if (b->op == MDM_VAE_UP)
        h *= 2, w *= 2;
    return (size_t)b->ci * h * w <= st->o->map_floats && (size_t)b->co * h * w <= st->o->map_floats;
}

mdm_status mdm_ocl_vae(mdm_ocl *o, int decoder, const float *in, float *out, size_t n_out) {
    const mdm_model *m = o->m;
    const mdm_hparams *hp = &m->hp;
    const mdm_vae_stack *s = decoder ? &m->vae_dec : &m->vae_enc;
    dev_state st = {o, o->map[0], o->map[1], o->map[2], 0, 0, 0};
    st.c = decoder ? hp->latent_channels : hp->image_channels;
    st.h = st.w = decoder ? hp->latent_size : hp->image_size;
    mdm_ocl_write(o, st.cur, 0, (size_t)st.c * st.h * st.w * sizeof(float), in);
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        if (!fits(&st, b))
            return MDM_ERR_INTERNAL;
        switch (b->op) {
        case MDM_VAE_CONV: conv(&st, b, 1); break;
        case MDM_VAE_DOWN: conv(&st, b, 2); break;
        case MDM_VAE_UP:
            ocl_upsample(o, st.a, st.cur, st.c, st.h, st.w);
            st.h *= 2, st.w *= 2;
            swap_in(&st, &st.a);
            conv(&st, b, 1);
            break;
        case MDM_VAE_RES: res(&st, b); break;
        case MDM_VAE_GN:
            ocl_groupnorm(o, st.cur, st.cur, mdm_ocl_tensor(o, &b->w), mdm_ocl_tensor(o, &b->b),
                          st.c, st.h * st.w, b->groups, hp->vae_gn_eps);
            break;
        case MDM_VAE_SILU: ocl_act(o, (ocl_f32){st.cur, 0}, st.c * st.h * st.w, OCL_SILU); break;
        }
    }
    if ((size_t)st.c * st.h * st.w != n_out)
        return MDM_ERR_INTERNAL;
    mdm_ocl_read(o, st.cur, 0, n_out * sizeof(float), out);
    return mdm_ocl_check(o);
}
