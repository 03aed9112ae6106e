/* The info printer, over the public API only so that the mdm CLI can reuse
 * it: architecture, dimensions, vocabulary, tensor table, sizes, CRC. */
#include "info.h"
#include <inttypes.h>

static const char *crc_text(int state) { return state == MDM_CRC_OK ? "ok" : "not checked"; }

static const char *file_type_text(uint32_t ft) {
    switch (ft) {
    case 0: return "f32";
    case 1: return "f16";
    case 2: return "q4_0";
    case 7: return "q8_0";
    }
    return "unknown";
}

static void print_text(FILE *o, const mdm_model *m, const mdm_model_info *i) {
    fprintf(o, "architecture    mdm (format version %" PRIu32 ", %s weights)\n",
            i->format_version, file_type_text(i->file_type));
    fprintf(o, "image           %dx%dx%d, VAE factor %d, %d latent channels, patch %d, "
               "%d image tokens\n", i->image_size, i->image_size, i->image_channels,
            i->vae_factor, i->latent_channels, i->patch_size, i->n_image_tokens);
    fprintf(o, "text            %d positions, vocabulary %d (+MASK)\n", i->text_len,
            i->vocab_size);
    fprintf(o, "backbone        d=%d, %d Mamba-1 blocks, expand %d, state %d, conv %d, "
               "dt rank %d, eps %g\n", i->d_model, i->n_layer, i->expand, i->d_state, i->d_conv,
            i->dt_rank, (double)i->norm_eps);
    fprintf(o, "sequence        %d tokens, scan orders %d %d %d %d\n", i->seq_len,
            i->scan_orders[0], i->scan_orders[1], i->scan_orders[2], i->scan_orders[3]);
    for (int dec = 0; dec < 2; dec++) {
        fprintf(o, "vae %s    ", dec ? "decoder" : "encoder");
        int n = dec ? i->n_vae_decoder_blocks : i->n_vae_encoder_blocks;
        for (int k = 0; k < n; k++) {
            char b[32];
            mdm_model_vae_block(m, dec, k, b, sizeof b);
            fprintf(o, "%s%s", k ? "," : "", b);
        }
        fprintf(o, "\n");
    }
    fprintf(o, "vae             scaling factor %g, GroupNorm eps %g\n",
            (double)i->vae_scaling_factor, (double)i->vae_gn_eps);
    size_t n = mdm_model_n_tensors(m);
    fprintf(o, "\n%-48s %-5s %-24s %12s\n", "tensor", "type", "shape (GGUF order)", "bytes");
    for (size_t k = 0; k < n; k++) {
        mdm_tensor_info t;
        mdm_model_tensor(m, k, &t);
        char shape[64];
        int p = 0;
        for (int d = 0; d < t.n_dims; d++)
            p += snprintf(shape + p, sizeof shape - (size_t)p, d ? " x %" PRId64 : "%" PRId64,
                          t.ne[d]);
        fprintf(o, "%-48s %-5s %-24s %12" PRIu64 "\n", t.name, t.type_name, shape, t.bytes);
    }
    fprintf(o, "\n%zu tensors, %" PRIu64 " bytes of tensor data, file %" PRIu64 " bytes, "
               "alignment %" PRIu32 "\n", n, i->data_size, i->file_size, i->alignment);
    fprintf(o, "crc32           %08" PRIx32 " (%s)\n", i->data_crc32, crc_text(i->crc_state));
}

static void print_json(FILE *o, const mdm_model *m, const mdm_model_info *i) {
    fprintf(o, "{\"architecture\": \"mdm\", \"format_version\": %" PRIu32
               ", \"file_type\": \"%s\",\n", i->format_version, file_type_text(i->file_type));
    fprintf(o, " \"image_size\": %d, \"image_channels\": %d, \"vae_factor\": %d, "
               "\"latent_channels\": %d, \"patch_size\": %d,\n", i->image_size,
            i->image_channels, i->vae_factor, i->latent_channels, i->patch_size);
    fprintf(o, " \"text_len\": %d, \"vocab_size\": %d, \"d_model\": %d, \"n_layer\": %d, "
               "\"expand\": %d, \"d_state\": %d, \"d_conv\": %d, \"dt_rank\": %d,\n",
            i->text_len, i->vocab_size, i->d_model, i->n_layer, i->expand, i->d_state,
            i->d_conv, i->dt_rank);
    fprintf(o, " \"norm_eps\": %.9g, \"scan_orders\": [%d, %d, %d, %d], \"n_image_tokens\": %d, "
               "\"seq_len\": %d,\n", (double)i->norm_eps, i->scan_orders[0], i->scan_orders[1],
            i->scan_orders[2], i->scan_orders[3], i->n_image_tokens, i->seq_len);
    fprintf(o, " \"vae\": {\"scaling_factor\": %.9g, \"gn_eps\": %.9g",
            (double)i->vae_scaling_factor, (double)i->vae_gn_eps);
    for (int dec = 0; dec < 2; dec++) {
        fprintf(o, ", \"%s\": [", dec ? "decoder" : "encoder");
        int n = dec ? i->n_vae_decoder_blocks : i->n_vae_encoder_blocks;
        for (int k = 0; k < n; k++) {
            char b[32];
            mdm_model_vae_block(m, dec, k, b, sizeof b);
            fprintf(o, "%s\"%s\"", k ? ", " : "", b);
        }
        fprintf(o, "]");
    }
    fprintf(o, "},\n \"tensors\": [\n");
    size_t n = mdm_model_n_tensors(m);
    for (size_t k = 0; k < n; k++) {
        mdm_tensor_info t;
        mdm_model_tensor(m, k, &t);
        /* Tensor names are printable ASCII without quotes (checked on load). */
        fprintf(o, "  {\"name\": \"%s\", \"type\": \"%s\", \"shape\": [", t.name, t.type_name);
        for (int d = 0; d < t.n_dims; d++)
            fprintf(o, d ? ", %" PRId64 : "%" PRId64, t.ne[d]);
        fprintf(o, "], \"bytes\": %" PRIu64 "}%s\n", t.bytes, k + 1 < n ? "," : "");
    }
    fprintf(o, " ],\n \"n_tensors\": %zu, \"data_bytes\": %" PRIu64 ", \"file_bytes\": %" PRIu64
               ", \"alignment\": %" PRIu32 ",\n", n, i->data_size, i->file_size, i->alignment);
    fprintf(o, " \"crc32\": \"%08" PRIx32 "\", \"crc\": \"%s\"}\n", i->data_crc32,
            crc_text(i->crc_state));
}

void mdm_print_info(FILE *out, const mdm_model *m, int json) {
    mdm_model_info i;
    mdm_model_get_info(m, &i);
    if (json)
        print_json(out, m, &i);
    else
        print_text(out, m, &i);
}
