/* The four scan orders of spec §3 as index permutations of the canonical
 * sequence [prefix(3), text(Lt), image(Ni)]. */
#include "mamba/mamba.h"

/* Image token at grid cell k of row-major (col_major = 0) or column-major order. */
static int32_t image_at(const mdm_hparams *hp, int k, int col_major) {
    int g = hp->grid, r = col_major ? k % g : k / g, c = col_major ? k / g : k % g;
    return (int32_t)(3 + hp->text_len + r * g + c);
}

int mdm_scan_permutation(const mdm_hparams *hp, int order, int32_t *perm) {
    if (order < 0 || order > 3)
        return 0;
    const int Lt = hp->text_len, Ni = hp->n_image_tokens, col = order & 1, reversed = order >= 2;
    int k = 0;
    for (int i = 0; i < 3; i++)
        perm[k++] = i;
    if (!reversed) {
        for (int i = 0; i < Lt; i++)
            perm[k++] = 3 + i;
        for (int j = 0; j < Ni; j++)
            perm[k++] = image_at(hp, j, col);
    } else {
        for (int j = Ni - 1; j >= 0; j--)
            perm[k++] = image_at(hp, j, col);
        for (int i = Lt - 1; i >= 0; i--)
            perm[k++] = 3 + i;
    }
    return 1;
}
