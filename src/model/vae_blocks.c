/* The VAE block grammar of docs/MODEL.md: "op[:int[:int]]" with small
 * positive integers, and the checks that make a block list runnable. */
#include "model/arch.h"
#include "model/errmsg.h"
#include "fmt.h"
#include <string.h>

#define MAX_CHANNELS 4096

static const struct {
    const char *name;
    mdm_vae_op op;
    int n_args;
} ops[] = {
    {"conv", MDM_VAE_CONV, 2}, {"down", MDM_VAE_DOWN, 2}, {"up", MDM_VAE_UP, 2},
    {"res", MDM_VAE_RES, 1},   {"gn", MDM_VAE_GN, 2},     {"silu", MDM_VAE_SILU, 0},
};

/* A decimal in 1..MAX_CHANNELS; no sign, no leading zero. */
static int parse_int(const char *s, size_t n, int *v) {
    if (n == 0 || n > 4 || s[0] == '0')
        return 0;
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return x <= MAX_CHANNELS;
}

mdm_status mdm_vae_parse_block(const char *s, size_t n, mdm_vae_block *b) {
    memset(b, 0, sizeof *b);
    size_t start[4], len[4];
    int k = 0;
    size_t i0 = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ':') {
            if (k == 4)
                return MDM_ERR_BAD_VALUE;
            start[k] = i0;
            len[k++] = i - i0;
            i0 = i + 1;
        }
    }
    for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++) {
        if (strlen(ops[j].name) != len[0] || memcmp(ops[j].name, s, len[0]) != 0)
            continue;
        if (k - 1 != ops[j].n_args)
            return MDM_ERR_BAD_VALUE;
        int a[2] = {0, 0};
        for (int t = 0; t < ops[j].n_args; t++)
            if (!parse_int(s + start[t + 1], len[t + 1], &a[t]))
                return MDM_ERR_BAD_VALUE;
        b->op = ops[j].op;
        switch (b->op) {
        case MDM_VAE_RES: b->ci = b->co = a[0]; break;
        case MDM_VAE_GN:
            b->ci = b->co = a[0];
            b->groups = a[1];
            if (a[0] % a[1] != 0)
                return MDM_ERR_BAD_VALUE;
            break;
        case MDM_VAE_SILU: break;
        default: b->ci = a[0]; b->co = a[1];
        }
        return MDM_OK;
    }
    return MDM_ERR_BAD_VALUE;
}

int mdm_vae_format_block(const mdm_vae_block *b, char *buf, size_t len) {
    switch (b->op) {
    case MDM_VAE_CONV: return mdm_fmt(buf, len, "conv:%d:%d", b->ci, b->co);
    case MDM_VAE_DOWN: return mdm_fmt(buf, len, "down:%d:%d", b->ci, b->co);
    case MDM_VAE_UP: return mdm_fmt(buf, len, "up:%d:%d", b->ci, b->co);
    case MDM_VAE_RES: return mdm_fmt(buf, len, "res:%d", b->ci);
    case MDM_VAE_GN: return mdm_fmt(buf, len, "gn:%d:%d", b->ci, b->groups);
    case MDM_VAE_SILU: return mdm_fmt(buf, len, "silu");
    }
    return mdm_fmt(buf, len, "?");
}

mdm_status mdm_vae_check(const mdm_hparams *hp, const mdm_vae_stack *v, int decoder, char *err,
                         size_t err_len) {
    const char *key = decoder ? "mdm.vae.decoder" : "mdm.vae.encoder";
    int ch = decoder ? hp->latent_channels : hp->image_channels;
    int want = decoder ? hp->image_channels : 2 * hp->latent_channels;
    int resample = 0;
    if (v->n_blocks < 1 || v->n_blocks > MDM_VAE_MAX_BLOCKS)
        return mdm_err(err, err_len, MDM_ERR_BAD_VALUE, "%s: %d blocks", key, v->n_blocks);
    for (int i = 0; i < v->n_blocks; i++) {
        const mdm_vae_block *b = &v->blocks[i];
        if (b->op != MDM_VAE_SILU && b->ci != ch)
            return mdm_err(err, err_len, MDM_ERR_BAD_VALUE,
                           "%s: block %d takes %d channels, gets %d", key, i, b->ci, ch);
        if (b->op == MDM_VAE_DOWN || b->op == MDM_VAE_UP) {
            if ((b->op == MDM_VAE_UP) != (decoder != 0))
                return mdm_err(err, err_len, MDM_ERR_BAD_VALUE, "%s: block %d: %s in the %s", key,
                               i, decoder ? "down" : "up", decoder ? "decoder" : "encoder");
            resample++;
        }
        if (b->op != MDM_VAE_SILU)
            ch = b->co;
    }
    if (ch != want)
        return mdm_err(err, err_len, MDM_ERR_BAD_VALUE, "%s: ends with %d channels, need %d", key,
                       ch, want);
    if (resample > 12 || (1 << resample) != hp->vae_factor)
        return mdm_err(err, err_len, MDM_ERR_BAD_VALUE,
                       "%s: %d resampling blocks for vae_factor %d", key, resample,
                       hp->vae_factor);
    return MDM_OK;
}
